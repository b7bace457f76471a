//! Review publication (R-REV-PUBLISH): every submitted or edited review is published, positive
//! and negative alike, without moderation, by its deadline (one business day of its market).
//! The worker publishes each review as soon as its message arrives; the sweep, every 15
//! minutes, publishes whatever is within [`SWEEP_AHEAD`] of its deadline, so the deadline holds
//! while the worker or the queue is down. Automated checks attach flags for moderators and
//! never hold a review back. Publication is conditional on the review's version, so a
//! redelivered message or a sweep racing the worker publishes once. A review published after
//! its deadline, or still failing to publish past it, is logged as an error and counted
//! (`ReviewsPublishedLate`, under an alarm).

use jiff::{SignedDuration, Timestamp};
use marketplace::reviews::checks::{self, Flag};
use marketplace::reviews::{Review, ReviewStatus};
use ports::{Message, Ports, TableError};
use serde::{Deserialize, Serialize};
use store::Reviews;

/// How long before its deadline the sweep publishes a review the worker has not.
pub const SWEEP_AHEAD: SignedDuration = SignedDuration::from_hours(2);
/// Reviews the sweep publishes per run at most; the next run takes the rest.
pub const SWEEP_BATCH: u32 = 100;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Announced {
    review_id: String,
}

/// A batch of publication messages in; the ids of those to retry out.
pub async fn handle(ports: &Ports, batch: Vec<Message>) -> Vec<String> {
    let mut failed = Vec::new();
    for message in batch {
        let outcome = match serde_json::from_str::<Announced>(&message.body) {
            Ok(announced) => publish(ports, &announced.review_id).await.map(|_| ()),
            // It will never read better: after its retries it rests in the dead-letter queue.
            Err(e) => Err(format!("unreadable message: {e}")),
        };
        if let Err(error) = outcome {
            tracing::warn!(message_id = %message.id, receive_count = message.receive_count, %error, "will retry");
            failed.push(message.id);
        }
    }
    failed
}

/// Publishes the review if it waits for publication; `Ok(false)` when there was nothing to do
/// (published already, deleted, or changed meanwhile: its own message follows).
pub async fn publish(ports: &Ports, review_id: &str) -> Result<bool, String> {
    let reviews = Reviews::new(ports.table.as_ref());
    let Some(review) = reviews.get(review_id).await.map_err(text)? else { return Ok(false) };
    if review.status != ReviewStatus::Submitted {
        return Ok(false);
    }
    let flags = flags_of(&reviews, &review).await?;
    let now = ports.clock.now();
    let Some(published) = review.publish(flags, now) else { return Ok(false) };
    match reviews.change(&review, &published).await {
        Ok(()) => {}
        Err(TableError::ConditionFailed) => return Ok(false),
        Err(e) => return Err(text(e)),
    }
    if published.published_late() {
        let late_by = now.duration_since(review.publish_by).as_secs();
        tracing::error!(review_id, late_by_secs = late_by, "review published after its deadline");
        metric("ReviewsPublishedLate");
    }
    Ok(true)
}

/// The checks' flags, and whether another account wrote the same text first.
async fn flags_of(reviews: &Reviews<'_>, review: &Review) -> Result<Vec<Flag>, String> {
    let mut flags = checks::flags(review.comment.as_deref(), &reviews::terms().competitors);
    if let Some(fingerprint) = checks::fingerprint(review.comment.as_deref()) {
        let first = reviews.first_author_of(&fingerprint, &review.buyer).await.map_err(text)?;
        if first != review.buyer {
            flags.push(Flag::DuplicateText);
        }
    }
    flags.sort();
    Ok(flags)
}

/// One count of a CloudWatch metric in embedded metric format: a JSON line the Lambda log
/// pipeline turns into `Marketplace/<name>`.
fn metric(name: &str) {
    let line = serde_json::json!({
        "_aws": {
            "Timestamp": Timestamp::now().as_millisecond(),
            "CloudWatchMetrics": [{"Namespace": "Marketplace", "Dimensions": [[]], "Metrics": [{"Name": name, "Unit": "Count"}]}]
        },
        name: 1
    });
    println!("{line}");
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Swept {
    pub published: usize,
}

/// Publishes the reviews whose deadline comes within [`SWEEP_AHEAD`] (or has passed).
pub async fn sweep(ports: &Ports) -> Result<Swept, String> {
    let until = ports.clock.now().checked_add(SWEEP_AHEAD).map_err(text)?;
    let due = Reviews::new(ports.table.as_ref()).pending(until, SWEEP_BATCH).await.map_err(text)?;
    let mut published = 0;
    for review in due {
        match publish(ports, &review.id).await {
            Ok(true) => published += 1,
            Ok(false) => {}
            // Past its deadline and still not published: counted, so the alarm sees it even while
            // publication keeps failing.
            Err(error) if review.publish_by < ports.clock.now() => {
                tracing::error!(review_id = %review.id, %error, "review past its deadline and not published");
                metric("ReviewsPublishedLate");
            }
            Err(error) => tracing::warn!(review_id = %review.id, %error, "will retry at the next run"),
        }
    }
    tracing::info!(published, "review sweep done");
    Ok(Swept { published })
}

/// When the sweep next finds a review to publish (`None`: none waits). The local runner asks,
/// to skip sweeps that would find nothing when its clock jumps.
pub async fn next_due(ports: &Ports) -> Result<Option<Timestamp>, String> {
    let first = Reviews::new(ports.table.as_ref()).pending(Timestamp::MAX, 1).await.map_err(text)?;
    Ok(first.first().and_then(|r| r.publish_by.checked_sub(SWEEP_AHEAD).ok()))
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}
