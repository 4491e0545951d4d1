//! Where emails go: the port. SES v2 in AWS (`lambda-host`, feature `ses`), `.eml` files
//! locally (`local-server`).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// One email to send. Built only by [`OutgoingEmail::new`], so that no header value (the
/// addresses, the subject) can carry a CR, an LF or another control character, wherever the
/// text came from (a process name, an offer title, a claim of a token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    pub to: String,
    pub from: String,
    /// The sender's display name (`Stadtwerke Musterstadt`), see [`OutgoingEmail::from_header`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    pub subject: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Message tags (SES `EmailTags`): which tenant, run and kind an email was, so that a
    /// bounce or complaint report finds them again. Names and values are letters, digits,
    /// `-` and `_` only (others are left out), as SES requires.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
}

/// A header value on one line: control characters (CR and LF among them) become spaces, runs
/// of white space one space.
pub fn header_value(s: &str) -> String {
    s.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl OutgoingEmail {
    pub fn new(to: &str, from: &str, subject: &str, text: String, html: Option<String>) -> Self {
        OutgoingEmail {
            to: header_value(to),
            from: header_value(from),
            from_name: None,
            subject: header_value(subject),
            text,
            html,
            tags: Vec::new(),
        }
    }

    /// Names the sender: one line, without the characters that would end a display name.
    pub fn sender_name(mut self, name: &str) -> Self {
        let clean: String = header_value(name)
            .chars()
            .filter(|c| !matches!(c, '"' | '\\' | '<' | '>'))
            .collect();
        self.from_name = Some(clean.trim().to_string()).filter(|n| !n.is_empty());
        self
    }

    /// The `From:` value: `"Name" <address>`, the name as an RFC 2047 encoded word when it is
    /// not plain ASCII (`Zürich` → `=?UTF-8?B?…?=`), or the bare address.
    pub fn from_header(&self) -> String {
        match &self.from_name {
            None => self.from.clone(),
            Some(n) if n.chars().all(|c| c.is_ascii_graphic() || c == ' ') => format!("\"{n}\" <{}>", self.from),
            Some(n) => {
                use base64::Engine;
                let b64 = base64::engine::general_purpose::STANDARD.encode(n.as_bytes());
                format!("=?UTF-8?B?{b64}?= <{}>", self.from)
            }
        }
    }

    /// Adds a message tag, unless its value is not one SES takes.
    pub fn tagged(mut self, name: &str, value: &str) -> Self {
        let safe = |s: &str| {
            !s.is_empty() && s.len() <= 256 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if safe(name) && safe(value) {
            self.tags.push((name.into(), value.into()));
        }
        self
    }

    pub fn tag(&self, name: &str) -> Option<&str> {
        self.tags.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn header_values_stay_on_one_line() {
        let e = super::OutgoingEmail::new(
            "a@b.ch\r\nBcc: evil@x.ch",
            "p@x.ch",
            "Prozess abgeschlossen: Lone\rBcc: evil@x.ch\n\tX",
            String::new(),
            None,
        );
        assert_eq!(e.subject, "Prozess abgeschlossen: Lone Bcc: evil@x.ch X");
        assert!(!e.to.contains(['\r', '\n']));
    }

    #[test]
    fn the_sender_is_named_safely() {
        let e = |name: &str| super::OutgoingEmail::new("a@b.ch", "p@x.ch", "s", String::new(), None).sender_name(name);
        assert_eq!(
            e("Stadtwerke Musterstadt").from_header(),
            "\"Stadtwerke Musterstadt\" <p@x.ch>"
        );
        assert_eq!(
            e("EW \"Zürich\" <x@y>\r\nBcc: z").from_header(),
            format!("=?UTF-8?B?{}?= <p@x.ch>", {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode("EW Zürich x@y Bcc: z")
            })
        );
        assert_eq!(e("  ").from_header(), "p@x.ch");
    }
}

/// Every email is machine-made: `Auto-Submitted: auto-generated` (RFC 3834) keeps
/// out-of-office replies from answering it. Both mailers send it.
pub const AUTO_SUBMITTED: (&str, &str) = ("Auto-Submitted", "auto-generated");

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Not sent now; sending again later may work (throttled, unavailable).
    #[error("email not sent: {0}")]
    Retry(String),
    /// Refused for good (the address or the message): sending again cannot help.
    #[error("email rejected: {0}")]
    Rejected(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one email; returns the provider's message id.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError>;
}
