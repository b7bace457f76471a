//! Development tokens: HS256 JWTs signed with a secret kept in the data folder, carrying the
//! claims a real identity provider would (`sub`, `cognito:groups`, `custom:seller_id`, `email`). The
//! runner verifies them as API Gateway's JWT authorizer verifies real ones, and hands the
//! handlers the claims in the same shape.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "marketplace-local";
pub const AUDIENCE: &str = "marketplace-local-clients";
/// Long enough to survive moving the clock forward a few weeks in a demo.
pub const LIFETIME: SignedDuration = SignedDuration::from_hours(24 * 90);

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    sub: String,
    #[serde(rename = "cognito:groups")]
    groups: Vec<String>,
    #[serde(rename = "custom:seller_id", default, skip_serializing_if = "Option::is_none")]
    seller_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
}

pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Invalid,
    Expired,
}

impl Tokens {
    pub fn new(secret: &[u8]) -> Self {
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }

    pub fn issue(&self, sub: &str, groups: &[&str], seller_id: Option<&str>, now: Timestamp) -> String {
        self.issue_with_email(sub, groups, seller_id, None, now)
    }

    /// A token that also carries the user's e-mail address (`email`), as an ID token does.
    pub fn issue_with_email(
        &self,
        sub: &str,
        groups: &[&str],
        seller_id: Option<&str>,
        email: Option<&str>,
        now: Timestamp,
    ) -> String {
        let claims = Claims {
            sub: sub.to_owned(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            seller_id: seller_id.map(str::to_owned),
            email: email.map(str::to_owned),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now.as_second(),
            exp: now.as_second() + LIFETIME.as_secs(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with a byte secret cannot fail")
    }

    /// The claims of a valid token, flattened as API Gateway passes them to a function:
    /// every value a string, arrays as `[a b]`. Expiry is checked on the runner's clock.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<HashMap<String, String>, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.validate_exp = false;
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map_err(|_| TokenError::Invalid)?;
        let claims = data.claims;
        if claims.exp <= now.as_second() {
            return Err(TokenError::Expired);
        }
        let mut flat = HashMap::from([
            ("sub".to_owned(), claims.sub),
            ("cognito:groups".to_owned(), format!("[{}]", claims.groups.join(" "))),
            ("iss".to_owned(), claims.iss),
            ("aud".to_owned(), claims.aud),
            ("exp".to_owned(), claims.exp.to_string()),
        ]);
        if let Some(seller_id) = claims.seller_id {
            flat.insert("custom:seller_id".to_owned(), seller_id);
        }
        if let Some(email) = claims.email {
            // The development provider verified it, as an identity provider does before it
            // vouches for an address.
            flat.insert("email".to_owned(), email);
            flat.insert("email_verified".to_owned(), "true".to_owned());
        }
        Ok(flat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_and_verifies() {
        let tokens = Tokens::new(b"secret");
        let now = Timestamp::UNIX_EPOCH;
        let token = tokens.issue("user-1", &["seller"], Some("sel_1"), now);
        let claims = tokens.verify(&token, now).expect("valid");
        assert_eq!(claims["sub"], "user-1");
        assert_eq!(claims["cognito:groups"], "[seller]");
        assert_eq!(claims["custom:seller_id"], "sel_1");
        assert!(!claims.contains_key("email"));
        let token = tokens.issue_with_email("user-2", &["buyer"], None, Some("buyer@example.test"), now);
        assert_eq!(tokens.verify(&token, now).expect("valid")["email"], "buyer@example.test");
    }

    #[test]
    fn refuses_forged_and_expired_tokens() {
        let now = Timestamp::UNIX_EPOCH;
        let token = Tokens::new(b"secret").issue("user-1", &["admin"], None, now);
        assert_eq!(Tokens::new(b"other").verify(&token, now), Err(TokenError::Invalid));
        assert_eq!(Tokens::new(b"secret").verify("not.a.token", now), Err(TokenError::Invalid));
        let later = now.checked_add(LIFETIME).expect("in range");
        assert_eq!(Tokens::new(b"secret").verify(&token, later), Err(TokenError::Expired));
        let mut tampered = token.clone();
        tampered.insert(token.find('.').expect("a JWT has dots") + 2, 'x');
        assert_eq!(Tokens::new(b"secret").verify(&tampered, now), Err(TokenError::Invalid));
    }
}
