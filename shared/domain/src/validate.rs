//! Checks shared by every aggregate's input: texts, email addresses, keys.

use crate::error::FieldError;

/// A plausible email address: one `@`, a local part, a dotted domain, no spaces.
pub fn valid_email(s: &str) -> bool {
    let s = s.trim();
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
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
    }
}
