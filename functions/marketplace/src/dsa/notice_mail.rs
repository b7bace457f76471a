//! The words of notice and action's mails: the receipt of a notice (Art. 16(4)), the decision
//! to the notifier and to the provider of the content, with whether it was automated and the
//! redress options (Art. 16(5), 17), a complaint's receipt and outcome (Art. 20), and the
//! warning and suspension for misuse (Art. 23).

use jiff::Timestamp;

use super::complaint::{Complaint, open_until};
use super::misuse::Misuser;
use super::notice::{Action, Notice};
use super::statement::Statement;

/// The redress against a decision: complaint within six months, out of court, the courts.
fn redress(notice_id: &str, until: Timestamp) -> String {
    format!(
        "You can contest this decision:\n\
         - free of charge, until {until}, through the platform's internal complaint-handling system \
         (Art. 20 DSA): POST /complaints with {{\"decisionOf\": \"{notice_id}\"}}, or write to the \
         users' contact point; a person, not an automated system, decides on your complaint;\n\
         - before an out-of-court dispute settlement body certified under Art. 21 DSA;\n\
         - before the competent court."
    )
}

fn outcome(action: Action) -> &'static str {
    match action {
        Action::Keep => "the content stays: it was found neither illegal nor against the terms",
        Action::Remove => "the content was removed",
        Action::Restrict => "the content was disabled: it is hidden from the marketplace",
    }
}

pub fn notice_received(notice: &Notice) -> (String, String) {
    (
        format!("We received your notice {}", notice.id),
        format!(
            "Your notice {id} about {kind} {content} ({reason}) was received on {at}.\n\nA person will \
             look at it and decide without undue delay; the content stays as it is until then. You \
             will be told the decision, and how to contest it, at this address.\n",
            id = notice.id,
            kind = notice.content_type.as_str(),
            content = notice.content_id,
            reason = notice.grounds().plain,
            at = notice.received_at,
        ),
    )
}

/// The decision, to the notifier.
pub fn decision_to_notifier(notice: &Notice) -> (String, String) {
    let Some(d) = &notice.decision else { return (String::new(), String::new()) };
    (
        format!("Decision on your notice {}", notice.id),
        format!(
            "Your notice {id} about {kind} {content} was decided on {at}: {outcome}.\n\n{why}\n\nThe \
             decision was taken by a person; no automated means took it.\n\n{redress}\n",
            id = notice.id,
            kind = notice.content_type.as_str(),
            content = notice.content_id,
            at = d.decided_at,
            outcome = outcome(d.action),
            why = d.explanation,
            redress = redress(&notice.id, open_until(d.decided_at)),
        ),
    )
}

/// The decision, to the author of the review or the seller of the offer, with the statement
/// of reasons of a restriction.
pub fn decision_to_provider(notice: &Notice, statement: Option<&Statement>) -> (String, String) {
    let Some(d) = &notice.decision else { return (String::new(), String::new()) };
    let reasons = statement.map_or_else(String::new, |s| {
        format!(
            "Statement of reasons under Art. 17 of the Digital Services Act.\nReference: {}\n{}\n\n",
            s.puid, s.decision_facts
        )
    });
    (
        format!("A decision about your {} {}", notice.content_type.as_str(), notice.content_id),
        format!(
            "A notice reported your {kind} {content} on the ground that {reason}. On {at} the \
             platform decided: {outcome}.\n\n{reasons}{why}\n\nThe decision was taken by a person, \
             following a notice; no automated means detected the content or took the decision.\n\n{redress}\n",
            kind = notice.content_type.as_str(),
            content = notice.content_id,
            reason = notice.grounds().plain,
            at = d.decided_at,
            outcome = outcome(d.action),
            why = d.explanation,
            redress = redress(&notice.id, open_until(d.decided_at)),
        ),
    )
}

pub fn complaint_received(complaint: &Complaint) -> (String, String) {
    (
        format!("We received your complaint {}", complaint.id),
        format!(
            "Your complaint {id} about the decision {of} was received on {at}. A person will look at \
             it and answer without undue delay.\n",
            id = complaint.id,
            of = complaint.decision_of,
            at = complaint.received_at,
        ),
    )
}

pub fn complaint_resolved(complaint: &Complaint) -> (String, String) {
    let Some(r) = &complaint.resolution else { return (String::new(), String::new()) };
    let outcome = match (r.founded, r.reversed) {
        (true, true) => "your complaint is founded and the decision was reversed",
        (true, false) => "your complaint is founded; the account decision is being reversed through its own procedure",
        (false, _) => "your complaint is not founded and the decision stands",
    };
    (
        format!("Outcome of your complaint {}", complaint.id),
        format!(
            "Your complaint {id} about the decision {of} was decided on {at} by a person: {outcome}.\n\n{why}\n\n\
             You may still refer the decision to an out-of-court dispute settlement body certified under \
             Art. 21 DSA, or to the competent court.\n",
            id = complaint.id,
            of = complaint.decision_of,
            at = r.resolved_at,
            why = r.explanation,
        ),
    )
}

/// The warning before a suspension, and the suspension.
pub fn misuse(misuser: Misuser, suspended_until: Option<Timestamp>) -> (String, String) {
    let what = match misuser {
        Misuser::Notifier => "notices that were manifestly unfounded",
        Misuser::Provider => "content that was manifestly illegal",
    };
    let from = match misuser {
        Misuser::Notifier => "sending notices",
        Misuser::Provider => "publishing reviews and offers",
    };
    match suspended_until {
        None => (
            "Warning: misuse of the marketplace".into(),
            format!(
                "You have repeatedly provided {what}. If it happens again, you will be suspended from \
                 {from} for a period (Art. 23 DSA).\n"
            ),
        ),
        Some(until) => (
            "Suspension for misuse of the marketplace".into(),
            format!(
                "After a warning, you again provided {what}. You are suspended from {from} until {until} \
                 (Art. 23 DSA). You can complain about this decision through the users' contact point.\n"
            ),
        ),
    }
}
