//! Automated checks before publication (R-REV-PUBLISH): they attach flags for moderators and
//! never block, hide or delay a review. A flag is a hint to look, not a verdict.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::validation::{is_email, is_iban};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Looks like an e-mail address, a phone number or an IBAN.
    PossiblePersonalData,
    /// The same text as a review from another account.
    DuplicateText,
    /// Names a competitor from the configured list.
    NamesCompetitor,
}

/// The flags a comment earns on its own; `DuplicateText` needs storage (see [`fingerprint`]).
pub fn flags(comment: Option<&str>, competitors: &[String]) -> Vec<Flag> {
    let Some(text) = comment else { return Vec::new() };
    let mut flags = Vec::new();
    if has_personal_data(text) {
        flags.push(Flag::PossiblePersonalData);
    }
    let lower = text.to_lowercase();
    if competitors.iter().any(|name| !name.trim().is_empty() && contains_word(&lower, &name.trim().to_lowercase())) {
        flags.push(Flag::NamesCompetitor);
    }
    flags
}

fn has_personal_data(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    let trimmed = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '+' && c != '@').to_owned();
    if words.iter().any(|w| is_email(&trimmed(w))) {
        return true;
    }
    // A phone number: eight or more digits in a row, spaces, dots and dashes allowed between.
    let mut digits = 0;
    for c in text.chars() {
        match c {
            '0'..='9' => {
                digits += 1;
                if digits >= 8 {
                    return true;
                }
            }
            ' ' | '.' | '-' | '/' | '(' | ')' if digits > 0 => {}
            '+' => {}
            _ => digits = 0,
        }
    }
    // An IBAN, written whole or in groups of four.
    let compact: Vec<String> = words.iter().map(|w| trimmed(w)).collect();
    (0..compact.len())
        .any(|start| (1..=9).any(|n| start + n <= compact.len() && is_iban(&compact[start..start + n].join(""))))
}

fn contains_word(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The text as duplicates are compared: case, punctuation and spacing ignored. `None` for a
/// comment too short to be a meaningful duplicate.
pub fn fingerprint(comment: Option<&str>) -> Option<String> {
    let normalised: String = comment?
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if normalised.chars().count() < 20 {
        return None;
    }
    let digest = Sha256::digest(normalised.as_bytes());
    Some(digest.iter().take(16).map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_flagged() {
        for text in [
            "Write me at jan.devries@example.nl for details",
            "Call me: +31 6 1234 5678",
            "refund to NL91 ABNA 0417 1643 00 please",
            "refund to NL91ABNA0417164300.",
        ] {
            assert_eq!(flags(Some(text), &[]), [Flag::PossiblePersonalData], "{text}");
        }
        for text in ["Battery at 92 %, 2 small scratches, iOS 17.4", "Great phone, 5 stars", "Model A2633 256GB"] {
            assert!(flags(Some(text), &[]).is_empty(), "{text}");
        }
    }

    #[test]
    fn competitors_are_flagged_by_whole_words() {
        let competitors = vec!["RefurbCo".to_owned(), "  ".to_owned()];
        assert_eq!(flags(Some("Cheaper at refurbco, buy there"), &competitors), [Flag::NamesCompetitor]);
        assert!(flags(Some("Not a refurbcompany"), &competitors).is_empty());
    }

    #[test]
    fn fingerprints_ignore_case_punctuation_and_spacing() {
        let a = fingerprint(Some("Great phone, works perfectly!"));
        assert_eq!(a, fingerprint(Some("great   phone works PERFECTLY")));
        assert_ne!(a, fingerprint(Some("Great phone, works perfectly well")));
        assert_eq!(fingerprint(Some("Good")), None);
        assert_eq!(fingerprint(None), None);
    }
}
