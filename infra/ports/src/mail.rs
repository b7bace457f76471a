use async_trait::async_trait;

/// A plain-text e-mail to one recipient. Its `Debug` leaves the address out, so a mail that
/// reaches a log or a panic message carries no personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail").field("to", &"<redacted>").field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// Why a mail was not sent. The texts never hold an address: adapters report codes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MailError {
    /// The mail service refused this mail (a bad address, an unverified sender, …).
    #[error("the mail was refused: {0}")]
    Refused(String),
    /// The mail was not sent (throttled, no connection): sending again later is safe.
    #[error("the mail service is unavailable: {0}")]
    Unavailable(String),
    /// No answer (a timeout, an unreadable response): the service may have taken the mail.
    #[error("the mail may or may not have been sent: {0}")]
    Unknown(String),
}

/// Outgoing e-mail (SES in AWS; an outbox the local runner shows, locally). A mail that
/// returned `Ok` was accepted for delivery; `Unknown` may have been (a timeout after the
/// service took it), so callers that must not send twice record their intent before sending
/// and send again only after `Unavailable`.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;
}

/// The mailer of functions that send no mail: every send is refused, so a function that
/// starts sending mail without being given a mailer fails at its first test.
pub struct NoMailer;

#[async_trait]
impl Mailer for NoMailer {
    async fn send(&self, _mail: &Mail) -> Result<(), MailError> {
        Err(MailError::Refused("this function has no mailer".into()))
    }
}

/// Limits every adapter keeps: one recipient, a subject on one line, a bounded body.
pub fn check_mail(mail: &Mail) -> Result<(), MailError> {
    let address = mail.to.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if !address || mail.to.len() > 254 || mail.to.chars().any(|c| c.is_whitespace() || c == ',') {
        return Err(MailError::Refused("the recipient is not one e-mail address".into()));
    }
    if mail.subject.is_empty() || mail.subject.len() > 998 || mail.subject.contains(['\r', '\n']) {
        return Err(MailError::Refused("a subject is one line of 1 to 998 bytes".into()));
    }
    if mail.body.is_empty() || mail.body.len() > 100_000 {
        return Err(MailError::Refused("a body is 1 byte to 100 KB".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(to: &str, subject: &str) -> Mail {
        Mail { to: to.into(), subject: subject.into(), body: "Hello".into() }
    }

    #[test]
    fn debug_leaves_the_address_out() {
        let text = format!("{:?}", mail("buyer@example.test", "Hi"));
        assert!(!text.contains("buyer@example.test"), "{text}");
        assert!(text.contains("Hi"));
    }

    #[test]
    fn one_recipient_and_one_line_of_subject() {
        assert_eq!(check_mail(&mail("buyer@example.test", "Hi")), Ok(()));
        for to in ["", "buyer", "a@b.c, d@e.f", "a b@c.d", "@example.test"] {
            assert!(check_mail(&mail(to, "Hi")).is_err(), "{to}");
        }
        assert!(check_mail(&mail("buyer@example.test", "Hi\r\nBcc: x@y.z")).is_err());
        assert!(check_mail(&mail("buyer@example.test", "")).is_err());
    }
}
