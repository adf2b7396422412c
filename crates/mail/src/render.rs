//! The messages' templates and what fills them.

use std::sync::OnceLock;

use minijinja::{AutoEscape, Environment};
use serde::Serialize;

/// A label and a value shown under a notification (e.g. "Return", "+12.4%").
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Detail {
    pub label: String,
    pub value: String,
}

/// One notification inside a digest.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DigestItem {
    pub title: String,
    pub body: String,
    /// Absolute.
    pub link: Option<String>,
}

/// What an email says.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Email {
    /// `notification` or `digest`.
    pub template: &'static str,
    pub subject: String,
    pub title: String,
    pub body: String,
    /// Where the button goes (absolute).
    pub link: Option<String>,
    /// The button's words.
    pub action: String,
    pub details: Vec<Detail>,
    pub items: Vec<DigestItem>,
    /// Why the user gets it ("you asked for emails about finished backtests").
    pub reason: String,
    /// The visible unsubscribe link (a page that asks before unsubscribing).
    pub unsubscribe_url: Option<String>,
    pub settings_url: String,
}

/// The text and HTML of an email.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    (
        "notification.html",
        include_str!("../templates/notification.html"),
    ),
    (
        "notification.txt",
        include_str!("../templates/notification.txt"),
    ),
    ("digest.html", include_str!("../templates/digest.html")),
    ("digest.txt", include_str!("../templates/digest.txt")),
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name}: {e}"));
        }
        env
    })
}

/// Fills the email's templates. Errors only on a template bug (every template is rendered
/// by the tests).
pub fn render(email: &Email) -> Result<Rendered, minijinja::Error> {
    let env = env();
    let text = env
        .get_template(&format!("{}.txt", email.template))?
        .render(minijinja::value::Serde(email))?;
    let html = env
        .get_template(&format!("{}.html", email.template))?
        .render(minijinja::value::Serde(email))?;
    Ok(Rendered {
        subject: email.subject.clone(),
        text,
        html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(template: &'static str) -> Email {
        Email {
            template,
            subject: "Backtest finished: <SMA> & co".into(),
            title: "Backtest finished: <SMA> & co".into(),
            body: "+12.4% over 31 trades; worst drawdown -8.1%.".into(),
            link: Some("http://app.test/backtests/r1".into()),
            action: "See the results".into(),
            details: vec![Detail {
                label: "Return".into(),
                value: "+12.4%".into(),
            }],
            items: vec![DigestItem {
                title: "Sweep <finished>".into(),
                body: "40 combinations".into(),
                link: None,
            }],
            reason: "you asked for emails about finished backtests".into(),
            unsubscribe_url: Some("http://app.test/unsubscribe?token=abc".into()),
            settings_url: "http://app.test/settings/notifications".into(),
        }
    }

    #[test]
    fn every_template_renders_escaping_html_only() {
        for template in ["notification", "digest"] {
            let r = render(&email(template)).unwrap();
            assert!(
                r.html.contains("&lt;SMA&gt; &amp; co"),
                "{template}: {}",
                r.html
            );
            assert!(!r.html.contains("<SMA>"));
            assert!(
                r.text.contains("Backtest finished: <SMA> & co"),
                "{}",
                r.text
            );
            assert!(
                r.text
                    .contains("Stop these emails: http://app.test/unsubscribe?token=abc")
            );
            // Attribute values are escaped too (`/` as `&#x2f;`), which browsers decode.
            assert!(r.html.contains("unsubscribe?token=abc\""), "{}", r.html);
            assert!(
                r.text
                    .contains("Notification settings: http://app.test/settings/notifications")
            );
        }
        let n = render(&email("notification")).unwrap();
        assert!(n.text.contains("Return: +12.4%"));
        assert!(
            n.text
                .contains("See the results: http://app.test/backtests/r1")
        );
        let d = render(&email("digest")).unwrap();
        assert!(d.html.contains("Sweep &lt;finished&gt;"));
        assert!(d.text.contains("- Sweep <finished>"));
    }

    #[test]
    fn without_an_unsubscribe_link_there_is_no_unsubscribe_text() {
        let mut e = email("notification");
        e.unsubscribe_url = None;
        let r = render(&e).unwrap();
        assert!(!r.text.contains("Stop these emails"));
        assert!(!r.html.contains("Stop these emails"));
    }
}
