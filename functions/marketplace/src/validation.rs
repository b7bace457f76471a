use std::fmt;

use serde::Serialize;

/// One refused field: `field` is a JSON path such as `address.country` or `paymentMethods[2]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every problem found in one input, so a client can fix them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }

    /// Records `message` against `field` unless `ok` holds.
    pub fn check(&mut self, ok: bool, field: &str, message: &str) {
        if !ok {
            self.add(field, message);
        }
    }

    /// Runs a parser, recording its error against `field`; `None` when it failed.
    pub fn parse<T, E: fmt::Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.add(field, e.to_string())).ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    /// `Ok(value)` when nothing was recorded.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, crate::Error> {
        if self.0.is_empty() { Ok(value()) } else { Err(crate::Error::Invalid(self)) }
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        f.write_str(&parts.join("; "))
    }
}

/// A required, trimmed text of `1..=max` characters.
pub fn text(v: &mut Violations, field: &str, value: &str, max: usize) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        v.add(field, "must not be empty");
    } else if trimmed.chars().count() > max {
        v.add(field, format!("must be at most {max} characters"));
    } else if trimmed.chars().any(char::is_control) {
        v.add(field, "must not contain control characters");
    }
    trimmed.to_owned()
}

/// A plausible e-mail address: one `@`, a non-empty local part, a dotted domain.
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else { return false };
    !local.is_empty()
        && value.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// An international phone number in E.164 form: `+` and 8 to 15 digits.
pub fn is_phone(value: &str) -> bool {
    value.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
    })
}

/// An IBAN with a valid ISO 7064 mod-97 check (spaces allowed).
pub fn is_iban(value: &str) -> bool {
    let compact: String = value.chars().filter(|c| *c != ' ').collect::<String>().to_ascii_uppercase();
    if !(15..=34).contains(&compact.len()) || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    if !head[..2].chars().all(|c| c.is_ascii_alphabetic()) || !head[2..].chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let remainder = tail.chars().chain(head.chars()).fold(0u32, |acc, c| {
        let n = c.to_digit(36).unwrap_or(0);
        if n >= 10 { (acc * 100 + n) % 97 } else { (acc * 10 + n) % 97 }
    });
    remainder == 1
}

/// A GTIN-8/12/13/14 (EAN) with a valid check digit.
pub fn is_gtin(value: &str) -> bool {
    if !matches!(value.len(), 8 | 12 | 13 | 14) || !value.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = value.bytes().map(|b| u32::from(b - b'0')).collect();
    let (body, check) = digits.split_at(digits.len() - 1);
    let sum: u32 = body.iter().rev().enumerate().map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d }).sum();
    (10 - sum % 10) % 10 == check[0]
}

/// ISO 3166-1 alpha-2 codes of the EU and EEA member states and the other markets served.
pub const COUNTRIES: &[&str] = &[
    "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR", "HU", "IE", "IS", "IT",
    "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// A calendar month as the API writes it: `2026-11`.
pub fn is_month(value: &str) -> bool {
    value.len() == 7 && jiff::civil::Date::strptime("%Y-%m-%d", format!("{value}-01")).is_ok()
}

pub fn is_country(value: &str) -> bool {
    COUNTRIES.contains(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        assert!(is_month("2026-11") && is_month("1999-01"));
        for bad in ["2026-13", "2026-00", "2026-1", "26-11", "2026-11-01", "", "2026/11", "abcd-ef"] {
            assert!(!is_month(bad), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(is_email("ops@refurb.example"));
        for bad in ["", "a", "a@b", "@b.eu", "a@.eu", "a@b.eu.", "a b@c.eu", "a@b@c.eu"] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert!(is_phone("+33612345678"));
        for bad in ["0612345678", "+33", "+33 6 12", "+0612345678", "+1234567890123456"] {
            assert!(!is_phone(bad), "{bad}");
        }
    }

    #[test]
    fn ibans() {
        assert!(is_iban("DE89 3704 0044 0532 0130 00"));
        assert!(is_iban("FR1420041010050500013M02606"));
        assert!(!is_iban("DE89 3704 0044 0532 0130 01"));
        assert!(!is_iban("XX"));
    }

    #[test]
    fn gtins() {
        assert!(is_gtin("4006381333931"));
        assert!(is_gtin("0194253401957"));
        assert!(!is_gtin("4006381333932"));
        assert!(!is_gtin("40063813339a1"));
    }

    #[test]
    fn text_trims_and_bounds() {
        let mut v = Violations::new();
        assert_eq!(text(&mut v, "name", "  Phone  ", 10), "Phone");
        text(&mut v, "empty", "   ", 10);
        text(&mut v, "long", "abcdefghijk", 10);
        let fields: Vec<_> = v.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["empty", "long"]);
    }
}
