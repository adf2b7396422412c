//! Sending over SMTP.

use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};

use crate::Rendered;

/// Why an email was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The configuration is wrong (a bad address or SMTP URL).
    #[error("{0}")]
    Config(String),
    /// The address or the message cannot be sent (trying again will not help).
    #[error("{0}")]
    Message(String),
    /// The SMTP server refused for good (5xx).
    #[error("the mail server refused it: {0}")]
    Rejected(String),
    /// The SMTP server cannot be reached or answered 4xx (try again later).
    #[error("the mail server could not take it now: {0}")]
    Unavailable(String),
}

impl MailError {
    /// Whether a later attempt may succeed.
    pub fn transient(&self) -> bool {
        matches!(self, MailError::Unavailable(_))
    }
}

/// One email to send.
#[derive(Clone, Debug)]
pub struct Outgoing<'a> {
    /// Ours; the `Message-ID` is `<id@domain of the sender>`, the same on every retry.
    pub id: &'a str,
    pub to: &'a str,
    pub rendered: &'a Rendered,
    /// The one-click unsubscribe address (RFC 8058: POSTed to, no cookie); `None` for
    /// account emails (verification, password reset), which cannot be turned off.
    pub one_click_unsubscribe: Option<&'a str>,
}

/// The SMTP transport and the sender's address. Cheap to clone (a pool inside).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Call inside a Tokio runtime (the pool lives there).
    ///
    /// `url`: `smtp://host:port` (no TLS: a local relay or test sink),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://user:pass@host`
    /// (TLS, port 465). `from`: `Name <address>` or an address.
    pub fn new(url: &str, from: &str) -> Result<Mailer, MailError> {
        let from: Mailbox = from.parse().map_err(|e| {
            MailError::Config(format!("the sender `{from}` is not an address: {e}"))
        })?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Config(format!("the SMTP URL is not usable: {e}")))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Mailer { transport, from })
    }

    /// The sender's address.
    pub fn from(&self) -> String {
        self.from.to_string()
    }

    /// Builds the message (exposed for tests that read it).
    pub fn message(&self, email: &Outgoing<'_>) -> Result<Message, MailError> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| MailError::Message(format!("`{}` is not an address: {e}", email.to)))?;
        let domain = self.from.email.domain().to_owned();
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.rendered.subject.clone())
            .message_id(Some(format!("<{}@{domain}>", email.id)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ));
        if let Some(url) = email.one_click_unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                email.rendered.text.clone(),
                email.rendered.html.clone(),
            ))
            .map_err(|e| MailError::Message(e.to_string()))
    }

    /// Sends one email.
    pub async fn send(&self, email: &Outgoing<'_>) -> Result<(), MailError> {
        let message = self.message(email)?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                MailError::Rejected(e.to_string())
            } else {
                MailError::Unavailable(e.to_string())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_message_carries_its_id_the_unsubscribe_headers_and_both_parts() {
        let mailer = Mailer::new(
            "smtp://127.0.0.1:2525",
            "Blockbuilders <alerts@mail.bb.test>",
        )
        .unwrap();
        let rendered = Rendered {
            subject: "Backtest finished".into(),
            text: "plain words".into(),
            html: "<p>html words</p>".into(),
        };
        let raw = mailer
            .message(&Outgoing {
                id: "e-1",
                to: "ada@example.com",
                rendered: &rendered,
                one_click_unsubscribe: Some("https://app.test/api/v1/email/unsubscribe?token=t"),
            })
            .unwrap()
            .formatted();
        let raw = String::from_utf8(raw).unwrap();
        assert!(raw.contains("Message-ID: <e-1@mail.bb.test>"), "{raw}");
        assert!(
            raw.contains("List-Unsubscribe: <https://app.test/api/v1/email/unsubscribe?token=t>")
        );
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains("Auto-Submitted: auto-generated"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.find("text/plain").unwrap() < raw.find("text/html").unwrap());
        assert!(Mailer::new("smtp://127.0.0.1:2525", "not an address").is_err());
        assert!(Mailer::new("ftp://x", "a@b.test").is_err());
    }
}
