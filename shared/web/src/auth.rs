//! Who is calling: staff and end users (JWT claims), portal participants (sessions).
//!
//! In AWS the API Gateway JWT authorizer verifies the token and lambda_http puts its claims
//! in the request context; `local-server` verifies its own locally signed tokens and puts the
//! same claims in the same place ([`insert_claims`]). Handlers only see [`Identity`].

use std::collections::HashMap;

use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription, ApiGatewayV2httpRequestContext,
};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lambda_http::request::RequestContext;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use domain::i18n::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Staff,
    Customer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub tenant_id: String,
    pub sub: String,
    pub roles: Vec<Role>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub locale: Option<Lang>,
}

impl Identity {
    pub fn is_staff(&self) -> bool {
        self.roles.iter().any(|r| matches!(r, Role::Admin | Role::Staff))
    }
}

/// Tenant ids are part of every key: letters, digits, `-` and `_` only.
pub fn valid_tenant(t: &str) -> bool {
    !t.is_empty() && t.len() <= 64 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Reads API Gateway's rendering of a list claim: `[admin staff]`, a JSON array, or a
/// comma/space separated string.
fn parse_list(raw: &str) -> Vec<String> {
    if let Ok(list) = serde_json::from_str::<Vec<String>>(raw) {
        return list;
    }
    raw.trim_matches(|c| c == '[' || c == ']')
        .split([',', ' '])
        .map(|s| s.trim_matches('"').trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Builds the identity from verified claims; `None` when a required claim is missing.
pub fn identity_from_claims(claims: &HashMap<String, String>) -> Option<Identity> {
    let get = |k: &str| claims.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let tenant_id = get("tenant_id").or_else(|| get("custom:tenant_id"))?.to_string();
    if !valid_tenant(&tenant_id) {
        return None;
    }
    let roles = get("roles")
        .or_else(|| get("custom:roles"))
        .map(parse_list)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| serde_json::from_value(serde_json::Value::String(r.to_lowercase())).ok())
        .collect();
    Some(Identity {
        tenant_id,
        sub: get("sub")?.to_string(),
        roles,
        email: get("email").map(str::to_string),
        name: get("name").map(str::to_string),
        locale: get("locale").and_then(Lang::parse),
    })
}

/// The request context API Gateway (HTTP API, JWT authorizer) would pass with these claims.
pub fn request_context(claims: HashMap<String, String>) -> RequestContext {
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = claims;
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    let mut ctx = ApiGatewayV2httpRequestContext::default();
    ctx.authorizer = Some(authorizer);
    RequestContext::ApiGatewayV2(ctx)
}

/// Puts verified claims where the Lambda host puts them.
pub fn insert_claims<B>(req: &mut axum::http::Request<B>, claims: HashMap<String, String>) {
    req.extensions_mut().insert(request_context(claims));
}

fn claims(parts: &Parts) -> Option<&HashMap<String, String>> {
    match parts.extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(ctx) => Some(&ctx.authorizer.as_ref()?.jwt.as_ref()?.claims),
        _ => None,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Identity {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let claims = claims(parts).ok_or(ApiError::Unauthorized("a valid bearer token is required"))?;
        identity_from_claims(claims).ok_or(ApiError::Unauthorized("the token lacks sub or tenant_id"))
    }
}

/// Declares an extractor for callers with a role: 403 (naming the role) for anyone else.
macro_rules! role {
    ($(#[$doc:meta])* $name:ident, $allowed:expr, $message:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Identity);

        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
                let id = Identity::from_request_parts(parts, state).await?;
                let allowed: fn(&Identity) -> bool = $allowed;
                if allowed(&id) {
                    Ok($name(id))
                } else {
                    Err(ApiError::Forbidden($message))
                }
            }
        }
    };
}

role!(
    /// A caller with the `staff` or `admin` role.
    Staff,
    |id| id.is_staff(),
    "this needs the staff or admin role"
);
role!(
    /// A caller with the `admin` role.
    Admin,
    |id| id.roles.contains(&Role::Admin),
    "this needs the admin role"
);
role!(
    /// A caller with the `customer` role: an end user of the tenant's app.
    Customer,
    |id| id.roles.contains(&Role::Customer),
    "this needs the customer role"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_api_gateway_claims() {
        let claims = HashMap::from([
            ("sub".to_string(), "alice".to_string()),
            ("tenant_id".to_string(), "acme".to_string()),
            ("roles".to_string(), "[admin staff]".to_string()),
            ("locale".to_string(), "fr-CH".to_string()),
        ]);
        let id = identity_from_claims(&claims).unwrap();
        assert_eq!(id.roles, vec![Role::Admin, Role::Staff]);
        assert_eq!(id.locale, Some(Lang::Fr));
        assert!(id.is_staff());
        let mut bad = claims.clone();
        bad.insert("tenant_id".into(), "a#b".into());
        assert!(identity_from_claims(&bad).is_none());
        assert_eq!(parse_list(r#"["customer"]"#), vec!["customer"]);
    }
}
