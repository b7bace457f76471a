//! The single points of contact (DSA Art. 11 and 12): one for the authorities of the Member
//! States, the Commission and the Board, in an official language of a Member State and one
//! widely understood (English and French by default); one for the recipients of the service,
//! reachable by a person, not only by automated means. From configuration
//! (`MARKETPLACE_CONTACT_POINTS`), checked when the function starts.

use serde::{Deserialize, Serialize};

/// The Union's official languages (ISO 639-1).
pub const OFFICIAL_LANGUAGES: [&str; 24] = [
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv", "mt", "nl", "pl",
    "pt", "ro", "sk", "sl", "sv",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthoritiesPoint {
    pub email: String,
    pub postal_address: String,
    pub languages: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsersPoint {
    pub email: String,
    pub web_form: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub languages: Vec<String>,
    /// Whether a person answers (Art. 12(1): not solely automated tools).
    pub answered_by_a_person: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactPoints {
    pub authorities: AuthoritiesPoint,
    pub users: UsersPoint,
}

impl Default for ContactPoints {
    fn default() -> Self {
        ContactPoints {
            authorities: AuthoritiesPoint {
                email: "dsa-authorities@marketplace.example".into(),
                postal_address: "Marketplace SAS, DSA point of contact, 10 rue de la Paix, 75002 Paris, FR".into(),
                languages: vec!["en".into(), "fr".into()],
            },
            users: UsersPoint {
                email: "help@marketplace.example".into(),
                web_form: "https://marketplace.example/help".into(),
                phone: Some("+33 1 00 00 00 00".into()),
                languages: vec!["en".into(), "fr".into(), "de".into(), "nl".into(), "es".into(), "it".into()],
                answered_by_a_person: true,
            },
        }
    }
}

fn is_email(value: &str) -> bool {
    crate::validation::is_email(value)
}

impl ContactPoints {
    pub fn from_json(json: &str) -> Result<ContactPoints, String> {
        let points: ContactPoints = serde_json::from_str(json).map_err(|e| e.to_string())?;
        points.check()?;
        Ok(points)
    }

    /// The rules of Art. 11 and 12 that configuration could break.
    pub fn check(&self) -> Result<(), String> {
        let a = &self.authorities;
        if !is_email(&a.email) || a.postal_address.trim().is_empty() {
            return Err("the authorities' point needs an e-mail address and a postal address".into());
        }
        let official = a.languages.iter().any(|l| OFFICIAL_LANGUAGES.contains(&l.as_str()) && l != "en");
        if !a.languages.iter().any(|l| l == "en") || !official {
            return Err("the authorities' point speaks English and another official language of the Union".into());
        }
        let u = &self.users;
        if !is_email(&u.email) || !u.web_form.starts_with("https://") {
            return Err("the users' point needs an e-mail address and an https:// web form".into());
        }
        if !u.answered_by_a_person {
            return Err("the users' point may not rely solely on automated tools (Art. 12(1))".into());
        }
        if u.languages.is_empty() {
            return Err("the users' point names its languages".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_points_speak_the_required_languages_and_a_person_answers_users() {
        assert_eq!(ContactPoints::default().check(), Ok(()));
        let json = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v = serde_json::to_value(ContactPoints::default()).expect("json");
            f(&mut v);
            v.to_string()
        };
        assert!(ContactPoints::from_json(&json(&|_| {})).is_ok());
        assert!(
            ContactPoints::from_json(&json(&|v| v["authorities"]["languages"] = serde_json::json!(["en"]))).is_err()
        );
        assert!(
            ContactPoints::from_json(&json(&|v| v["authorities"]["languages"] = serde_json::json!(["fr", "de"])))
                .is_err()
        );
        assert!(
            ContactPoints::from_json(&json(&|v| v["users"]["answeredByAPerson"] = serde_json::json!(false))).is_err()
        );
        assert!(ContactPoints::from_json(&json(&|v| v["users"]["email"] = serde_json::json!("nobody"))).is_err());
        assert!(
            ContactPoints::from_json(&json(&|v| v["users"]["webForm"] = serde_json::json!("http://x.example")))
                .is_err()
        );
        assert!(ContactPoints::from_json(r#"{"authorities": {}}"#).is_err());
    }
}
