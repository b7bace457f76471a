//! Who is calling. In AWS, API Gateway's JWT authorizer verifies the token and hands the
//! claims to the function in the request context; the local runner verifies its development
//! tokens and fills the same context, so this code is the same in both places.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lambda_http::request::RequestContext;

use crate::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Buyer,
    Seller,
    Admin,
}

/// A signed-in caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub sub: String,
    pub groups: Vec<Group>,
    /// The seller account a seller member acts for (`custom:seller_id`).
    pub seller_id: Option<String>,
    /// The user's e-mail address (`email`), when the issuer says it verified it
    /// (`email_verified`).
    /// Personal data: never logged.
    pub email: Option<String>,
}

impl User {
    pub fn is(&self, group: Group) -> bool {
        self.groups.contains(&group)
    }

    /// Whether the caller is a member of `seller_id`.
    pub fn is_member_of(&self, seller_id: &str) -> bool {
        self.is(Group::Seller) && self.seller_id.as_deref() == Some(seller_id)
    }
}

/// The caller of a request: anonymous or signed in. Every handler takes one and asks it for
/// the role the endpoint needs, so authorization reads the same everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    User(User),
}

impl Caller {
    pub fn user(&self) -> Option<&User> {
        match self {
            Caller::Anonymous => None,
            Caller::User(user) => Some(user),
        }
    }

    /// Any signed-in caller; 401 otherwise.
    pub fn signed_in(&self) -> Result<&User, Problem> {
        self.user().ok_or_else(Problem::unauthorized)
    }

    /// A caller in `group`; 401 when anonymous, 403 when signed in without it.
    pub fn require(&self, group: Group) -> Result<&User, Problem> {
        let user = self.signed_in()?;
        if user.is(group) {
            Ok(user)
        } else {
            Err(Problem::forbidden(format!("this endpoint is for {group:?} accounts").to_lowercase()))
        }
    }

    /// A seller member, with the seller id it acts for.
    pub fn seller_member(&self) -> Result<(&User, &str), Problem> {
        let user = self.require(Group::Seller)?;
        let seller_id =
            user.seller_id.as_deref().ok_or_else(|| Problem::forbidden("the token names no seller account"))?;
        Ok((user, seller_id))
    }

    pub fn is_admin(&self) -> bool {
        self.user().is_some_and(|u| u.is(Group::Admin))
    }

    /// A member of `seller_id` or an admin: who may see a seller's private data.
    pub fn may_manage(&self, seller_id: &str) -> bool {
        self.user().is_some_and(|u| u.is(Group::Admin) || u.is_member_of(seller_id))
    }

    pub fn request_id(parts: &Parts) -> Option<String> {
        match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
            _ => None,
        }
    }

    /// The caller the request context names.
    pub fn of(parts: &Parts) -> Caller {
        let claims = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(context)) => {
                context.authorizer.as_ref().and_then(|a| a.jwt.as_ref()).map(|jwt| &jwt.claims)
            }
            _ => None,
        };
        claims.map(Caller::from_claims).unwrap_or(Caller::Anonymous)
    }

    fn from_claims(claims: &std::collections::HashMap<String, String>) -> Caller {
        let Some(sub) = claims.get("sub").filter(|s| !s.is_empty()) else { return Caller::Anonymous };
        let groups = claims.get("cognito:groups").map(|g| parse_groups(g)).unwrap_or_default();
        let seller_id = claims.get("custom:seller_id").filter(|s| !s.is_empty()).cloned();
        // Only an address the issuer verified: one a user merely typed is nobody's to mail.
        let verified = claims.get("email_verified").is_some_and(|v| v == "true");
        let email = claims.get("email").filter(|e| !e.is_empty() && verified).cloned();
        Caller::User(User { sub: sub.clone(), groups, seller_id, email })
    }
}

/// API Gateway flattens an array claim into text: `[buyer admin]`, or a JSON array when the
/// issuer sent one. Both read the same here; unknown groups are ignored.
pub fn parse_groups(raw: &str) -> Vec<Group> {
    raw.trim_matches(|c| c == '[' || c == ']')
        .split([' ', ','])
        .map(|g| g.trim().trim_matches('"'))
        .filter_map(|g| match g {
            "buyer" => Some(Group::Buyer),
            "seller" => Some(Group::Seller),
            "admin" => Some(Group::Admin),
            _ => None,
        })
        .collect()
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller::of(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_in_every_form_api_gateway_sends() {
        assert_eq!(parse_groups("[buyer admin]"), [Group::Buyer, Group::Admin]);
        assert_eq!(parse_groups(r#"["seller","buyer"]"#), [Group::Seller, Group::Buyer]);
        assert_eq!(parse_groups("admin"), [Group::Admin]);
        assert_eq!(parse_groups("[root superuser]"), []);
    }

    #[test]
    fn the_email_claim_only_when_verified() {
        let claims = |pairs: &[(&str, &str)]| {
            let map = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
            Caller::from_claims(&map).user().and_then(|u| u.email.clone())
        };
        let email = ("email", "buyer@example.test");
        assert_eq!(claims(&[("sub", "u"), email]), None, "not said to be verified");
        assert_eq!(claims(&[("sub", "u"), email, ("email_verified", "true")]), Some("buyer@example.test".into()));
        assert_eq!(claims(&[("sub", "u"), email, ("email_verified", "false")]), None);
        assert_eq!(claims(&[("sub", "u")]), None);
    }

    fn user(groups: &[Group], seller_id: Option<&str>) -> Caller {
        Caller::User(User {
            sub: "u".into(),
            groups: groups.to_vec(),
            seller_id: seller_id.map(str::to_owned),
            email: None,
        })
    }

    #[test]
    fn roles() {
        assert_eq!(Caller::Anonymous.require(Group::Buyer).map_err(|p| p.status), Err(401));
        assert_eq!(user(&[Group::Buyer], None).require(Group::Admin).map_err(|p| p.status), Err(403));
        assert_eq!(user(&[Group::Seller], None).seller_member().map_err(|p| p.status), Err(403));
        assert_eq!(
            user(&[Group::Seller], Some("sel_1")).seller_member().map(|(_, s)| s.to_owned()),
            Ok("sel_1".into())
        );
        assert!(user(&[Group::Seller], Some("sel_1")).may_manage("sel_1"));
        assert!(!user(&[Group::Seller], Some("sel_1")).may_manage("sel_2"));
        assert!(!user(&[Group::Buyer], Some("sel_1")).may_manage("sel_1"), "a seller id without the seller group");
        assert!(user(&[Group::Admin], None).may_manage("sel_2"));
    }
}
