//! The Mailer port on both adapters: the local runner's outbox keeps what it is given, and SES
//! (on the emulator) sends from a verified sender. Both refuse what is not one address, and
//! no error either gives names an address, so a failure can be logged as it is.

use std::sync::Arc;

use aws_adapters::SesMailer;
use embedded_adapters::TableOutbox;
use ports::{Mail, MailError, Mailer};

fn mail(to: &str) -> Mail {
    Mail {
        to: to.into(),
        subject: "How was your order?".into(),
        body: "Review it: https://marketplace.example/review".into(),
    }
}

fn holds_no_address(error: &MailError) -> bool {
    !error.to_string().contains('@')
}

#[tokio::test]
async fn the_outbox_keeps_every_mail_and_refuses_what_is_not_one_address() {
    let clock = Arc::new(ports::MovableClock::default());
    let outbox = TableOutbox::new(Arc::new(acceptance::embedded_table()), clock);
    outbox.send(&mail("buyer@example.test")).await.expect("kept");
    for bad in ["", "buyer", "a@b.example, c@d.example"] {
        let refused = outbox.send(&mail(bad)).await.expect_err("refused");
        assert!(matches!(refused, MailError::Refused(_)) && holds_no_address(&refused), "{refused}");
    }
    let sent = outbox.sent().await.expect("listed");
    assert_eq!(sent.iter().map(|m| m.mail.to.as_str()).collect::<Vec<_>>(), ["buyer@example.test"]);
}

#[tokio::test]
async fn ses_sends_from_a_verified_sender_and_reports_codes_only() {
    let Some(config) = acceptance::aws_config().await else { return };
    let client = aws_sdk_sesv2::Client::new(&config);
    let sender = format!("{}@marketplace.example", acceptance::unique("reviews"));
    client.create_email_identity().email_identity(&sender).send().await.expect("the emulator verifies the sender");
    let mailer = SesMailer::new(client.clone(), sender);
    mailer.send(&mail("buyer@example.test")).await.expect("sent");
    let refused = mailer.send(&mail("buyer")).await.expect_err("not an address");
    assert!(holds_no_address(&refused), "{refused}");
    let stranger = SesMailer::new(client, "nobody@unverified.example".into());
    let refused = stranger.send(&mail("buyer@example.test")).await.expect_err("an unverified sender");
    assert!(matches!(refused, MailError::Refused(_)) && holds_no_address(&refused), "{refused}");
}
