//! Local tokens: HS256 JWTs signed with a secret kept in the data folder, verified by the
//! server and turned into the same claims API Gateway's JWT authorizer would pass.

use std::collections::HashMap;
use std::path::Path;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use jsonwebtoken::{decode, encode, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

const ISSUER: &str = "local-server";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub tenant_id: String,
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    pub iss: String,
    pub exp: i64,
}

impl Claims {
    pub fn new(tenant: &str, sub: &str, roles: Vec<String>) -> Self {
        Claims {
            sub: sub.into(),
            tenant_id: tenant.into(),
            roles,
            email: None,
            name: None,
            locale: None,
            iss: ISSUER.into(),
            exp: (chrono::Utc::now() + chrono::Duration::days(30)).timestamp(),
        }
    }

    /// The claims as API Gateway's HTTP API hands them over: strings, lists as `[a b]`.
    fn as_gateway_claims(&self) -> HashMap<String, String> {
        let mut m = HashMap::from([
            ("sub".to_string(), self.sub.clone()),
            ("tenant_id".to_string(), self.tenant_id.clone()),
            ("roles".to_string(), format!("[{}]", self.roles.join(" "))),
            ("iss".to_string(), self.iss.clone()),
        ]);
        for (k, v) in [("email", &self.email), ("name", &self.name), ("locale", &self.locale)] {
            if let Some(v) = v {
                m.insert(k.to_string(), v.clone());
            }
        }
        m
    }
}

#[derive(Clone)]
pub struct LocalAuth {
    secret: Vec<u8>,
}

impl LocalAuth {
    /// Reads the signing secret of a data folder, creating it on first use.
    pub fn load(data_dir: &Path) -> std::io::Result<Self> {
        crate::private_dir(data_dir)?;
        let path = data_dir.join("jwt-secret");
        match std::fs::read_to_string(&path) {
            Ok(s) if s.trim().len() >= 32 => Ok(LocalAuth {
                secret: s.trim().as_bytes().to_vec(),
            }),
            _ => {
                let mut bytes = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut bytes);
                let secret = hex::encode(bytes);
                use std::io::Write as _;
                use std::os::unix::fs::OpenOptionsExt;
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(0o600)
                    .open(&path)?;
                file.write_all(secret.as_bytes())?;
                Ok(LocalAuth {
                    secret: secret.into_bytes(),
                })
            }
        }
    }

    pub fn mint(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        encode(&Header::default(), claims, &EncodingKey::from_secret(&self.secret))
    }

    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::default();
        validation.set_issuer(&[ISSUER]);
        decode::<Claims>(token, &DecodingKey::from_secret(&self.secret), &validation)
            .ok()
            .map(|d| d.claims)
    }
}

/// Middleware: a valid local JWT becomes API Gateway claims in the request context. Anything
/// else passes untouched (portal session tokens; the handlers reject what they must).
pub async fn verify_jwt(State(auth): State<LocalAuth>, mut req: Request, next: Next) -> Response {
    let claims = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| auth.verify(t.trim()));
    if let Some(claims) = claims {
        web::auth::insert_claims(&mut req, claims.as_gateway_claims());
    }
    next.run(req).await
}
