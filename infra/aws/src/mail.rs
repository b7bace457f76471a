use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use ports::mail::check_mail;
use ports::{Mail, MailError, Mailer};

/// Mail through Amazon SES (API v2), from one verified sender address.
pub struct SesMailer {
    client: Client,
    from: String,
}

impl SesMailer {
    pub fn new(client: Client, from: String) -> Self {
        Self { client, from }
    }
}

/// The sender address (`MAIL_FROM`, a template parameter): an identity verified in SES.
pub fn mail_from() -> Result<String, String> {
    std::env::var("MAIL_FROM")
        .ok()
        .filter(|from| from.contains('@'))
        .ok_or_else(|| "MAIL_FROM must name the sender's e-mail address".to_owned())
}

fn content(data: &str) -> Result<Content, MailError> {
    Content::builder().data(data).charset("UTF-8").build().map_err(|e| MailError::Refused(e.to_string()))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        check_mail(mail)?;
        let message = Message::builder()
            .subject(content(&mail.subject)?)
            .body(Body::builder().text(content(&mail.body)?).build())
            .build();
        let sent = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            // SES's messages can quote the addresses: only its error codes go further.
            Err(e) => match e.as_service_error() {
                Some(service) => {
                    let code = service.code().unwrap_or("unknown").to_owned();
                    if service.is_too_many_requests_exception() || service.is_limit_exceeded_exception() {
                        Err(MailError::Unavailable(code))
                    } else {
                        Err(MailError::Refused(code))
                    }
                }
                None => Err(match e {
                    // The request may have reached SES.
                    aws_sdk_sesv2::error::SdkError::TimeoutError(_) => MailError::Unknown("timeout".to_owned()),
                    aws_sdk_sesv2::error::SdkError::ResponseError(_) => {
                        MailError::Unknown("unreadable response".to_owned())
                    }
                    aws_sdk_sesv2::error::SdkError::DispatchFailure(_) => {
                        MailError::Unavailable("dispatch failure".to_owned())
                    }
                    _ => MailError::Unavailable("request not sent".to_owned()),
                }),
            },
        }
    }
}
