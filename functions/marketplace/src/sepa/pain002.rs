//! The bank's payment status report, `pain.002`: which transfers of a credit transfer file it
//! accepted and which it rejected, and why. Read by element names whatever the version's
//! namespace (`.001.03` to `.001.15` share them). A status given for the whole message or
//! batch applies to every transfer the report does not name.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

/// What a status code says of the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Settlement in process or completed (`ACSP`, `ACSC`): the money leaves.
    Accepted,
    /// `RJCT`: the transfer will not be made.
    Rejected,
    /// Received, technically valid, accepted for checks or with changes, pending, partly
    /// accepted (`RCVD`, `ACTC`, `ACCP`, `ACWC`, `PDNG`, `PART`): a bank may still reject
    /// after these, so nothing is decided yet.
    Undecided,
}

impl Status {
    fn from_code(code: &str) -> Self {
        match code {
            "ACSP" | "ACSC" => Self::Accepted,
            "RJCT" => Self::Rejected,
            _ => Self::Undecided,
        }
    }
}

/// One transfer's status, by its end-to-end id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferStatus {
    pub end_to_end_id: String,
    pub status: Status,
    /// The reason code (ISO external status reason: `AC04` closed account, …).
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusReport {
    /// The `MsgId` of the file it answers.
    pub original_message_id: String,
    pub group: Option<(Status, Option<String>)>,
    pub batch: Option<(Status, Option<String>)>,
    pub transfers: Vec<TransferStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("the report is not well-formed XML: {0}")]
    Malformed(String),
    #[error("the document is not a payment status report (pain.002)")]
    NotAReport,
    #[error("the report names no original message")]
    NoOriginalMessage,
}

impl StatusReport {
    /// The decision on the transfer `end_to_end_id`: its own status, else its batch's, else
    /// the message's; `Undecided` when the report says nothing of it.
    pub fn outcome(&self, end_to_end_id: &str) -> (Status, Option<String>) {
        if let Some(t) =
            self.transfers.iter().find(|t| t.end_to_end_id == end_to_end_id && t.status != Status::Undecided)
        {
            return (t.status, t.reason.clone());
        }
        [&self.batch, &self.group]
            .into_iter()
            .flatten()
            .find(|(status, _)| *status != Status::Undecided)
            .cloned()
            .unwrap_or((Status::Undecided, None))
    }
}

/// Reads a report. Document type declarations are refused (no entity a sender defines is
/// ever expanded); only XML's predefined entities and character references are.
pub fn read(xml: &[u8]) -> Result<StatusReport, ReportError> {
    let malformed = |e: &dyn std::fmt::Display| ReportError::Malformed(e.to_string());
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(true);
    let mut report = StatusReport::default();
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut transfer: Option<TransferStatus> = None;
    let mut reason: Option<String> = None;
    let mut root_seen = false;
    loop {
        match reader.read_event().map_err(|e| malformed(&e))? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if path.is_empty() {
                    if root_seen || name != "Document" {
                        return Err(ReportError::NotAReport);
                    }
                    root_seen = true;
                }
                if path.len() == 1 && name != "CstmrPmtStsRpt" {
                    return Err(ReportError::NotAReport);
                }
                match name.as_str() {
                    "TxInfAndSts" => {
                        // A batch's reason never passes to its transactions.
                        reason = None;
                        transfer = Some(TransferStatus {
                            end_to_end_id: String::new(),
                            status: Status::Undecided,
                            reason: None,
                        })
                    }
                    "OrgnlGrpInfAndSts" | "OrgnlPmtInfAndSts" => reason = None,
                    _ => {}
                }
                path.push(name);
                text.clear();
            }
            Event::Empty(e) => {
                let name = e.local_name();
                if path.is_empty() || (path.len() == 1 && name.as_ref() != b"CstmrPmtStsRpt") {
                    return Err(ReportError::NotAReport);
                }
            }
            Event::Text(t) => text.push_str(&t.decode().map_err(|e| malformed(&e))?),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| malformed(&e))? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| malformed(&e))?;
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| ReportError::Malformed(format!("unknown entity &{name};")))?
                            .to_owned()
                    }
                };
                text.push_str(&resolved);
            }
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                let parent = path.last().map(String::as_str).unwrap_or_default();
                let value = text.trim().to_owned();
                match (parent, name.as_str()) {
                    ("OrgnlGrpInfAndSts", "OrgnlMsgId") => report.original_message_id = value,
                    ("OrgnlGrpInfAndSts", "GrpSts") => report.group = Some((Status::from_code(&value), None)),
                    ("OrgnlPmtInfAndSts", "PmtInfSts") => report.batch = Some((Status::from_code(&value), None)),
                    ("TxInfAndSts", "OrgnlEndToEndId") => {
                        if let Some(t) = transfer.as_mut() {
                            t.end_to_end_id = value;
                        }
                    }
                    ("TxInfAndSts", "TxSts") => {
                        if let Some(t) = transfer.as_mut() {
                            t.status = Status::from_code(&value);
                        }
                    }
                    ("Rsn", "Cd") | ("Rsn", "Prtry") if reason.is_none() => reason = Some(value),
                    (_, "TxInfAndSts") => {
                        if let Some(mut t) = transfer.take() {
                            t.reason = reason.take();
                            report.transfers.push(t);
                        }
                    }
                    (_, "OrgnlGrpInfAndSts") => {
                        if let Some(group) = report.group.as_mut() {
                            group.1 = reason.take();
                        }
                    }
                    ("OrgnlPmtInfAndSts", "StsRsnInf") => {
                        if let Some(batch) = report.batch.as_mut() {
                            batch.1 = reason.take();
                        }
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::DocType(_) => {
                return Err(ReportError::Malformed("document type declarations are not accepted".into()));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(ReportError::NotAReport);
    }
    if !path.is_empty() {
        return Err(ReportError::Malformed("the document ends inside an element".into()));
    }
    if report.original_message_id.is_empty() {
        return Err(ReportError::NoOriginalMessage);
    }
    Ok(report)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A pain.002.001.12 report on `message_id`: a group status, and statuses by end-to-end id.
    pub(crate) fn report(message_id: &str, group: &str, transfers: &[(&str, &str, Option<&str>)]) -> String {
        let mut tx = String::new();
        for (i, (e2e, status, reason)) in transfers.iter().enumerate() {
            let reason = reason.map(|r| format!("<StsRsnInf><Rsn><Cd>{r}</Cd></Rsn></StsRsnInf>")).unwrap_or_default();
            tx.push_str(&format!(
                "<TxInfAndSts><StsId>S{i}</StsId><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{status}</TxSts>{reason}</TxInfAndSts>"
            ));
        }
        let batch = if tx.is_empty() {
            String::new()
        } else {
            format!("<OrgnlPmtInfAndSts><OrgnlPmtInfId>{message_id}</OrgnlPmtInfId>{tx}</OrgnlPmtInfAndSts>")
        };
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.12"><CstmrPmtStsRpt>
<GrpHdr><MsgId>BANK-{message_id}</MsgId><CreDtTm>2026-12-07T09:00:00Z</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>{message_id}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>{group}</GrpSts></OrgnlGrpInfAndSts>
{batch}</CstmrPmtStsRpt></Document>"#
        )
    }

    #[test]
    fn transfers_take_their_own_status_else_the_message_s() {
        let xml = report("MP-1", "PART", &[("E1", "RJCT", Some("AC04")), ("E2", "ACSC", None), ("E4", "PDNG", None)]);
        let r = read(xml.as_bytes()).expect("a report");
        assert_eq!(r.original_message_id, "MP-1");
        assert_eq!(r.outcome("E1"), (Status::Rejected, Some("AC04".into())));
        assert_eq!(r.outcome("E2"), (Status::Accepted, None));
        assert_eq!(r.outcome("E3"), (Status::Undecided, None));
        assert_eq!(r.outcome("E4"), (Status::Undecided, None), "its own status, though undecided");
        let all = read(report("MP-1", "ACSC", &[]).as_bytes()).expect("a report");
        assert_eq!(all.outcome("E9"), (Status::Accepted, None));
        // Accepted for checks only: a rejection may follow.
        let checked = read(report("MP-1", "ACCP", &[]).as_bytes()).expect("a report");
        assert_eq!(checked.outcome("E9"), (Status::Undecided, None));
        let rejected_later = read(report("MP-1", "ACCP", &[("E1", "PDNG", None)]).as_bytes()).expect("a report");
        assert_eq!(rejected_later.outcome("E1"), (Status::Undecided, None));
        let none = read(report("MP-1", "RJCT", &[("E1", "ACSC", None)]).as_bytes()).expect("a report");
        assert_eq!(none.outcome("E1"), (Status::Accepted, None));
        assert_eq!(none.outcome("E2"), (Status::Rejected, None));
        let technical = read(report("MP-1", "ACTC", &[]).as_bytes()).expect("a report");
        assert_eq!(technical.outcome("E1"), (Status::Undecided, None));
    }

    #[test]
    fn older_versions_and_a_batch_status_are_read_alike() {
        let xml = r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>
            <GrpHdr><MsgId>B</MsgId><CreDtTm>2026-12-07T09:00:00</CreDtTm></GrpHdr>
            <OrgnlGrpInfAndSts><OrgnlMsgId>MP-2</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts>
            <OrgnlPmtInfAndSts><OrgnlPmtInfId>MP-2</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts>
              <StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf></OrgnlPmtInfAndSts>
            </CstmrPmtStsRpt></Document>"#;
        let r = read(xml.as_bytes()).expect("a report");
        assert_eq!(r.outcome("E1"), (Status::Rejected, Some("AM04".into())));
        // A batch's reason without its status stays the batch's.
        let xml = r#"<Document><CstmrPmtStsRpt><OrgnlGrpInfAndSts><OrgnlMsgId>MP-3</OrgnlMsgId></OrgnlGrpInfAndSts>
            <OrgnlPmtInfAndSts><OrgnlPmtInfId>MP-3</OrgnlPmtInfId><StsRsnInf><Rsn><Cd>NARR</Cd></Rsn></StsRsnInf>
            <TxInfAndSts><OrgnlEndToEndId>E1</OrgnlEndToEndId><TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AC04</Cd></Rsn></StsRsnInf></TxInfAndSts>
            </OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"#;
        let r = read(xml.as_bytes()).expect("a report");
        assert_eq!(r.outcome("E1"), (Status::Rejected, Some("AC04".into())));
    }

    #[test]
    fn entities_are_resolved_but_never_defined() {
        let xml = report("MP&amp;1", "ACSC", &[]);
        assert_eq!(read(xml.as_bytes()).expect("a report").original_message_id, "MP&1");
        let dtd = r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document><CstmrPmtStsRpt>&x;</CstmrPmtStsRpt></Document>"#;
        assert!(matches!(read(dtd.as_bytes()), Err(ReportError::Malformed(_))));
    }

    #[test]
    fn what_is_not_a_report_is_refused() {
        let cases: [(&str, ReportError); 6] = [
            ("", ReportError::NotAReport),
            ("not xml at all", ReportError::NotAReport),
            ("<Document><CstmrCdtTrfInitn/></Document>", ReportError::NotAReport),
            ("<Other/>", ReportError::NotAReport),
            ("<Document><CstmrPmtStsRpt></CstmrPmtStsRpt></Document>", ReportError::NoOriginalMessage),
            ("<Document><CstmrPmtStsRpt><OrgnlGrpInfAndSts>", ReportError::Malformed(String::new())),
        ];
        for (xml, expected) in cases {
            let got = read(xml.as_bytes());
            match expected {
                ReportError::Malformed(_) => assert!(matches!(got, Err(ReportError::Malformed(_))), "{xml}: {got:?}"),
                other => assert_eq!(got, Err(other), "{xml}"),
            }
        }
        assert!(matches!(read(b"<Document><CstmrPmtStsRpt></Wrong></Document>"), Err(ReportError::Malformed(_))));
    }
}
