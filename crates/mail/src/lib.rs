//! `bb-mail`: email (outer ring). [`render`] fills a message's text and HTML templates
//! (minijinja, embedded at build time; HTML escaped, text not), [`Mailer`] sends over SMTP
//! (lettre; `smtp://host:port` plain for a local sink, `smtp://host:587?tls=required`,
//! `smtps://host`), and [`token`] signs the one-click unsubscribe links. Every message is
//! `multipart/alternative` (text first), with a stable `Message-ID` per email (a retry
//! keeps it), `Auto-Submitted: auto-generated` (RFC 3834) and, for notification emails,
//! `List-Unsubscribe` + `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).

mod render;
mod send;
pub mod token;

pub use render::{Detail, DigestItem, Email, Rendered, render};
pub use send::{MailError, Mailer, Outgoing};
