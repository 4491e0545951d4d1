//! Checks shared by every aggregate's input: texts, email addresses, keys.

use crate::error::FieldError;

/// An address an email can go to: an RFC 5322 addr-spec (parsed by `email_address`) with a
/// dotted domain, at most 254 characters, and nothing that could leave the `To:` header's
/// one address: no spaces or control characters, no `<`, `>`, `,`, `;`, quotes or brackets.
pub fn valid_email(s: &str) -> bool {
    let s = s.trim();
    let Some((_, domain)) = s.rsplit_once('@') else {
        return false;
    };
    s.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;:\"()[]\\".contains(c))
        && email_address::EmailAddress::is_valid(s)
}

/// Pushes an error when a required string is blank or too long.
pub fn require_text(value: &str, field: &str, max: usize, errors: &mut Vec<FieldError>) {
    if value.trim().is_empty() {
        errors.push(FieldError::required(field));
    } else if value.chars().count() > max {
        errors.push(FieldError::too_long(field, max));
    }
}

/// Pushes an error when `value` is not a valid email address.
pub fn require_email(value: &str, field: &str, errors: &mut Vec<FieldError>) {
    if !valid_email(value) {
        errors.push(FieldError::invalid_email(field));
    }
}

/// Keys of steps and fields: 1-64 of `a-z`, `0-9`, `_`, `-`.
pub fn require_key(value: &str, field: &str, errors: &mut Vec<FieldError>) {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !ok {
        errors.push(FieldError::new(
            field,
            "invalid_key",
            "must be 1-64 characters of a-z, 0-9, _ and -",
        ));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn emails() {
        assert!(super::valid_email("a.b@example.ch"));
        assert!(!super::valid_email("a b@example.ch"));
        assert!(!super::valid_email("ab@example"));
        assert!(!super::valid_email("@example.ch"));
        for bad in [
            "a@b.ch, evil@x.ch",
            "Eve <eve@x.ch>",
            "a@b.ch\r\nBcc: evil@x.ch",
            "a@b.ch\rBcc: evil@x.ch",
            "\"a b\"@x.ch",
            "a@[127.0.0.1]",
            "a;b@x.ch",
            "a@@x.ch",
        ] {
            assert!(!super::valid_email(bad), "{bad:?}");
        }
        assert!(super::valid_email("first.last+tag@sub.example.co.uk"));
    }
}
