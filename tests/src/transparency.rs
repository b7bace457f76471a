//! The field rules of a statement of reasons as the DSA Transparency Database states them
//! (`../shared/reference/dsa-statement-of-reasons.md`), written from that reference and not
//! from the code: every statement the tests see goes through [`violations`].

use serde_json::Value;

const GROUNDS: [&str; 2] = ["DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"];
const CONTENT_TYPES: [&str; 8] = [
    "CONTENT_TYPE_APP",
    "CONTENT_TYPE_AUDIO",
    "CONTENT_TYPE_IMAGE",
    "CONTENT_TYPE_OTHER",
    "CONTENT_TYPE_PRODUCT",
    "CONTENT_TYPE_SYNTHETIC_MEDIA",
    "CONTENT_TYPE_TEXT",
    "CONTENT_TYPE_VIDEO",
];
const SOURCES: [&str; 4] =
    ["SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER", "SOURCE_TYPE_OTHER_NOTIFICATION", "SOURCE_VOLUNTARY"];
const AUTOMATED_DECISIONS: [&str; 3] =
    ["AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_NOT_AUTOMATED"];
const VISIBILITY: [&str; 7] = [
    "DECISION_VISIBILITY_CONTENT_REMOVED",
    "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER",
];
const MONETARY: [&str; 3] =
    ["DECISION_MONETARY_SUSPENSION", "DECISION_MONETARY_TERMINATION", "DECISION_MONETARY_OTHER"];
const PROVISION: [&str; 4] = [
    "DECISION_PROVISION_PARTIAL_SUSPENSION",
    "DECISION_PROVISION_TOTAL_SUSPENSION",
    "DECISION_PROVISION_PARTIAL_TERMINATION",
    "DECISION_PROVISION_TOTAL_TERMINATION",
];
const ACCOUNT: [&str; 2] = ["DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"];
const CATEGORIES: [&str; 16] = [
    "ANIMAL_WELFARE",
    "CONSUMER_INFORMATION",
    "CYBER_VIOLENCE",
    "CYBER_VIOLENCE_AGAINST_WOMEN",
    "DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "ILLEGAL_OR_HARMFUL_SPEECH",
    "INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "NOT_SPECIFIED_NOTICE",
    "OTHER_VIOLATION_TC",
    "PROTECTION_OF_MINORS",
    "RISK_FOR_PUBLIC_SECURITY",
    "SCAMS_AND_FRAUD",
    "SELF_HARM",
    "UNSAFE_AND_PROHIBITED_PRODUCTS",
    "VIOLENCE",
];
const EEA: [&str; 30] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO",
];

fn text<'a>(s: &'a Value, field: &str) -> Option<&'a str> {
    s.get(field).and_then(Value::as_str)
}

/// Everything wrong with `statement` by the reference's rules; empty when it is valid.
pub fn violations(statement: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut fail = |m: String| out.push(m);
    let one_of = |s: &Value, field: &str, allowed: &[&str]| text(s, field).is_some_and(|v| allowed.contains(&v));
    let max_len = |s: &Value, field: &str, max: usize| text(s, field).is_none_or(|v| v.chars().count() <= max);

    if !one_of(statement, "decision_ground", &GROUNDS) {
        fail("decision_ground is missing or unknown".into());
    }
    let category_ok = |c: &str| c.strip_prefix("STATEMENT_CATEGORY_").is_some_and(|c| CATEGORIES.contains(&c));
    if !text(statement, "category").is_some_and(category_ok) {
        fail("category is missing or unknown".into());
    }
    if let Some(additions) = statement.get("category_addition") {
        let ok = additions.as_array().is_some_and(|a| a.iter().all(|c| c.as_str().is_some_and(category_ok)));
        if !ok {
            fail("category_addition holds an unknown category".into());
        }
    }
    if let Some(keywords) = statement.get("category_specification") {
        let ok = keywords
            .as_array()
            .is_some_and(|a| a.iter().all(|k| k.as_str().is_some_and(|k| k.starts_with("KEYWORD_"))));
        if !ok {
            fail("category_specification holds something that is not a keyword".into());
        }
    }
    let types = statement.get("content_type").and_then(Value::as_array);
    if !types.is_some_and(|t| !t.is_empty() && t.iter().all(|c| c.as_str().is_some_and(|c| CONTENT_TYPES.contains(&c))))
    {
        fail("content_type must be a non-empty array of known content types".into());
    }
    for (field, earliest) in [("content_date", "2000-01-01"), ("application_date", "2020-01-01")] {
        match text(statement, field).map(|d| d.parse::<jiff::civil::Date>()) {
            Some(Ok(date)) => {
                let earliest: jiff::civil::Date = earliest.parse().expect("a date");
                let latest: jiff::civil::Date = "2038-01-01".parse().expect("a date");
                if date < earliest || date > latest {
                    fail(format!("{field} {date} is outside {earliest} … {latest}"));
                }
            }
            _ => fail(format!("{field} must be a YYYY-MM-DD date")),
        }
    }
    for field in [
        "end_date_visibility_restriction",
        "end_date_monetary_restriction",
        "end_date_service_restriction",
        "end_date_account_restriction",
    ] {
        if let Some(value) = statement.get(field) {
            let latest: jiff::civil::Date = "2038-01-01".parse().expect("a date");
            if value.as_str().and_then(|d| d.parse::<jiff::civil::Date>().ok()).is_none_or(|d| d > latest) {
                fail(format!("{field} must be a date no later than 2038-01-01"));
            }
        }
    }
    match text(statement, "decision_facts") {
        Some(facts) if !facts.trim().is_empty() && facts.chars().count() <= 5000 => {}
        _ => fail("decision_facts is required, at most 5000 characters".into()),
    }
    if !one_of(statement, "source_type", &SOURCES) {
        fail("source_type is missing or unknown".into());
    }
    if text(statement, "source_type") == Some("SOURCE_VOLUNTARY") && statement.get("source_identity").is_some() {
        fail("source_identity is not given for voluntary actions".into());
    }
    if !one_of(statement, "automated_detection", &["Yes", "No"]) {
        fail("automated_detection is Yes or No".into());
    }
    if !one_of(statement, "automated_decision", &AUTOMATED_DECISIONS) {
        fail("automated_decision is missing or unknown".into());
    }
    let puid_ok = text(statement, "puid").is_some_and(|p| {
        !p.is_empty() && p.len() <= 500 && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
    if !puid_ok {
        fail("puid must match ^[a-zA-Z0-9-_]+$, at most 500 characters".into());
    }

    // At least one of the four decisions, each with known values.
    let visibility = statement.get("decision_visibility");
    let decisions = [
        visibility.is_some(),
        statement.get("decision_monetary").is_some(),
        statement.get("decision_provision").is_some(),
        statement.get("decision_account").is_some(),
    ];
    if !decisions.contains(&true) {
        fail("at least one of decision_visibility, _monetary, _provision, _account is required".into());
    }
    if let Some(v) = visibility {
        let values: Vec<&str> = v.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        if values.is_empty() || !values.iter().all(|x| VISIBILITY.contains(x)) {
            fail("decision_visibility must be a non-empty array of known values".into());
        }
        if values.contains(&"DECISION_VISIBILITY_OTHER")
            && text(statement, "decision_visibility_other").is_none_or(|t| t.chars().count() > 500)
        {
            fail("DECISION_VISIBILITY_OTHER needs decision_visibility_other (≤ 500)".into());
        }
    }
    for (field, allowed) in [
        ("decision_monetary", &MONETARY[..]),
        ("decision_provision", &PROVISION[..]),
        ("decision_account", &ACCOUNT[..]),
    ] {
        if statement.get(field).is_some() && !one_of(statement, field, allowed) {
            fail(format!("{field} is unknown"));
        }
    }
    if text(statement, "decision_monetary") == Some("DECISION_MONETARY_OTHER")
        && statement.get("decision_monetary_other").is_none()
    {
        fail("DECISION_MONETARY_OTHER needs decision_monetary_other".into());
    }

    // Required by ground.
    match text(statement, "decision_ground") {
        Some("DECISION_GROUND_ILLEGAL_CONTENT") => {
            for (field, max) in [("illegal_content_legal_ground", 500), ("illegal_content_explanation", 2000)] {
                if text(statement, field).is_none_or(|t| t.trim().is_empty()) || !max_len(statement, field, max) {
                    fail(format!("illegal content needs {field} (≤ {max})"));
                }
            }
        }
        Some("DECISION_GROUND_INCOMPATIBLE_CONTENT") => {
            for (field, max) in [("incompatible_content_ground", 500), ("incompatible_content_explanation", 2000)] {
                if text(statement, field).is_none_or(|t| t.trim().is_empty()) || !max_len(statement, field, max) {
                    fail(format!("content incompatible with the terms needs {field} (≤ {max})"));
                }
            }
            if statement.get("incompatible_content_illegal").is_some()
                && !one_of(statement, "incompatible_content_illegal", &["Yes", "No"])
            {
                fail("incompatible_content_illegal is Yes or No".into());
            }
        }
        _ => {}
    }

    // Optional fields, when present.
    if statement.get("account_type").is_some()
        && !one_of(statement, "account_type", &["ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"])
    {
        fail("account_type is unknown".into());
    }
    if let Some(scope) = statement.get("territorial_scope") {
        let ok = scope.as_array().is_some_and(|a| a.iter().all(|c| c.as_str().is_some_and(|c| EEA.contains(&c))));
        if !ok {
            fail("territorial_scope holds a code outside the EEA".into());
        }
    }
    if let Some(id) = statement.get("content_id") {
        let ean = id.get("EAN-13").and_then(Value::as_str);
        if !ean.is_some_and(|e| e.len() == 13 && e.chars().all(|c| c.is_ascii_digit())) {
            fail("content_id is {\"EAN-13\": <13 digits>}".into());
        }
    }

    // No personal data: no e-mail address, phone number or IBAN anywhere in it.
    let all = statement.to_string();
    if all.contains('@') {
        fail("an e-mail address is personal data".into());
    }
    // A long run of digits is a phone number or an account; the puid (which may hold a time)
    // and the EAN are the only numbers allowed to be long.
    let mut rest = statement.clone();
    if let Some(object) = rest.as_object_mut() {
        object.remove("puid");
        object.remove("content_id");
    }
    if rest.to_string().as_bytes().windows(9).any(|w| w.iter().all(u8::is_ascii_digit)) {
        fail("a long run of digits (a phone number or an account) is personal data".into());
    }
    if all.contains("\"iban\"") || all.contains("IBAN") {
        fail("an IBAN is personal data".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn valid() -> Value {
        json!({
            "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
            "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
            "incompatible_content_ground": "Quality charter",
            "incompatible_content_explanation": "Not repackaged.",
            "category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
            "content_type": ["CONTENT_TYPE_PRODUCT"],
            "content_date": "2026-11-01",
            "application_date": "2026-11-20",
            "decision_facts": "The offer was removed.",
            "source_type": "SOURCE_VOLUNTARY",
            "automated_detection": "No",
            "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
            "puid": "sor_off_1_1795168800123"
        })
    }

    #[test]
    fn the_validator_catches_what_the_reference_forbids() {
        assert_eq!(violations(&valid()), Vec::<String>::new());
        for (field, bad) in [
            ("puid", json!("has spaces")),
            ("decision_ground", json!("DECISION_GROUND_OTHER")),
            ("content_date", json!("1999-12-31")),
            ("application_date", json!("2038-01-02")),
            ("content_type", json!([])),
            ("category", json!("STATEMENT_CATEGORY_NOPE")),
            ("automated_detection", json!("maybe")),
            ("incompatible_content_explanation", json!("x".repeat(2001))),
            ("decision_facts", json!("write to seller@example.test")),
        ] {
            let mut statement = valid();
            statement[field] = bad;
            assert!(!violations(&statement).is_empty(), "{field}");
        }
        let mut no_decision = valid();
        no_decision.as_object_mut().expect("an object").remove("decision_visibility");
        assert!(!violations(&no_decision).is_empty());
        let mut illegal = valid();
        illegal["decision_ground"] = json!("DECISION_GROUND_ILLEGAL_CONTENT");
        assert!(!violations(&illegal).is_empty(), "illegal content needs its legal ground");
    }
}
