//! Test support: Amazon's DynamoDB Local for the table, moto's server for SQS/SES, a
//! local-server per test, HTTP helpers,
//! and API Gateway (HTTP API v2) events built the way API Gateway sends them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use app::config::Config;
use serde_json::{json, Value};
use store::dynamo::DynamoTable;
use web::AppState;

pub mod automation;
pub mod aws;
pub mod collaboration;
pub mod documents;
pub mod faults;
pub mod load;
pub mod new_link;
pub mod reminders;
pub mod routes;
pub mod scenario;
pub mod webhooks;

/// A unique suffix for table, queue, tenant and email names.
/// A file store in a fresh folder, for routers that are only looked at (no files flow).
pub fn local_blobs() -> Arc<dyn store::blobs::Blobs> {
    let dir = std::env::temp_dir().join(format!("portal-files-{}", unique()));
    Arc::new(local_server::files::LocalBlobs::new(dir, "http://127.0.0.1"))
}

pub fn unique() -> String {
    ulid::Ulid::new().to_string().to_lowercase()
}

/// The endpoint of the moto server the test command started.
pub fn moto_endpoint() -> String {
    std::env::var("MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!("MOTO_ENDPOINT is not set: run the tests with scripts/test (it starts moto's server)")
    })
}

/// The endpoint of the DynamoDB Local the test command started.
pub fn dynamodb_endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!("DYNAMODB_ENDPOINT is not set: run the tests with scripts/test (it starts DynamoDB Local)")
    })
}

/// A DynamoDB client on DynamoDB Local, derived from the one SDK configuration.
pub fn dynamodb(sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::from(sdk)
        .endpoint_url(dynamodb_endpoint())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// One SDK configuration pointing at moto (SQS, SES); DynamoDB clients come from [`dynamodb`].
pub async fn sdk() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto_endpoint())
        .region(aws_config::Region::new("eu-central-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .load()
        .await
}

/// A fresh table on DynamoDB Local with the production schema.
pub async fn dynamo_table(sdk: &aws_config::SdkConfig) -> (DynamoTable, String) {
    let name = format!("portal-{}", unique());
    let client = dynamodb(sdk);
    DynamoTable::create_table(&client, &name)
        .await
        .expect("create table on DynamoDB Local");
    (DynamoTable::new(client, name.clone()), name)
}

/// A local-server on a free port with its own data folder.
pub struct Local {
    pub running: local_server::Running,
    pub base: String,
    pub data_dir: PathBuf,
    pub http: reqwest::Client,
}

impl Drop for Local {
    fn drop(&mut self) {
        self.running.stop();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl Local {
    pub async fn start() -> Local {
        let data_dir = std::env::temp_dir().join(format!("portal-test-{}", unique()));
        Self::start_in(data_dir).await
    }

    pub async fn start_in(data_dir: PathBuf) -> Local {
        let opts = local_server::Options {
            addr: "127.0.0.1:0".parse().unwrap(),
            data_dir: data_dir.clone(),
            base_url: None,
        };
        let running = local_server::start(opts).await.expect("start local-server");
        let base = running.base_url.clone();
        Local {
            running,
            base,
            data_dir,
            // Redirects are answers to check, as on the API Gateway path.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// A staff token as `local-server token` prints it.
    pub fn token(&self, tenant: &str, sub: &str, roles: &[&str]) -> String {
        let mut claims = local_server::Claims::new(tenant, sub, roles.iter().map(|r| r.to_string()).collect());
        claims.email = Some(format!("{sub}@{tenant}.example"));
        claims.name = Some(sub.to_string());
        self.running.auth.mint(&claims).unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits until the outbox holds at least `n` emails, and returns them all.
    pub async fn outbox(&self, n: usize) -> Vec<Value> {
        for _ in 0..100 {
            let body: Value = self
                .http
                .get(self.url("/local/outbox"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let emails = body["emails"].as_array().cloned().unwrap_or_default();
            if emails.len() >= n {
                return emails;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the outbox never reached {n} emails");
    }
}

/// An HTTP response: status and JSON body (Null when not JSON), and content type.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub content_type: String,
    /// The body as text (pages).
    pub text: String,
    /// The response headers, names in lower case.
    pub headers: Vec<(String, String)>,
}

fn headers_of(h: &axum::http::HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect()
}

impl Resp {
    /// A response header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn field(&self, name: &str) -> String {
        self.body[name]
            .as_str()
            .unwrap_or_else(|| panic!("no string {name} in {}", self.body))
            .to_string()
    }

    /// Asserts a problem+json answer with this status.
    pub fn problem(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.body
        );
        assert!(
            self.content_type.starts_with("application/problem+json"),
            "not problem+json: {}",
            self.content_type
        );
        assert_eq!(self.body["status"], json!(status));
        assert!(self.body["title"].is_string() && self.body["type"].is_string() && self.body["detail"].is_string());
        if status == 422 {
            // Every field error says where, a machine code and a message.
            for e in self.body["errors"].as_array().into_iter().flatten() {
                for part in ["field", "code", "message"] {
                    assert!(e[part].as_str().is_some_and(|v| !v.is_empty()), "{part} missing in {e}");
                }
            }
        }
        self
    }

    /// The (field, code) pairs a 422 names.
    pub fn error_codes(&self) -> Vec<(String, String)> {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        self.body["errors"]
            .as_array()
            .map(|a| a.iter().map(|e| (text(&e["field"]), text(&e["code"]))).collect())
            .unwrap_or_default()
    }

    /// The fields a 422 names.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// What a test client does: send a request with a bearer token (or none) and a raw body.
#[async_trait::async_trait]
pub trait Client: Send + Sync {
    async fn raw(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Resp;

    async fn call(&self, method: &str, path: &str, bearer: Option<&str>, body: Option<Value>) -> Resp {
        self.raw(method, path, bearer, &[], body.map(|b| b.to_string())).await
    }
}

#[async_trait::async_trait]
impl Client for Local {
    async fn raw(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Resp {
        let mut req = self.http.request(method.parse().unwrap(), self.url(path));
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
                req = req.header("content-type", "application/json");
            }
            req = req.body(b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = headers_of(resp.headers());
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let text = resp.text().await.unwrap();
        Resp {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            content_type,
            text,
            headers,
        }
    }
}

/// An API Gateway HTTP API (payload 2.0) event, as the JWT authorizer passes it on.
pub fn apigw_event(
    method: &str,
    path: &str,
    claims: Option<&HashMap<String, String>>,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Value {
    let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut hdrs = serde_json::Map::new();
    hdrs.insert("accept".into(), json!("application/json"));
    hdrs.insert("host".into(), json!("abc123.execute-api.eu-central-1.amazonaws.com"));
    if body.is_some() {
        hdrs.insert("content-type".into(), json!("application/json"));
    }
    for (k, v) in headers {
        hdrs.insert(k.to_lowercase(), json!(v));
    }
    let mut ctx = json!({
        "accountId": "123456789012", "apiId": "abc123", "domainName": "abc123.execute-api.eu-central-1.amazonaws.com",
        "domainPrefix": "abc123", "requestId": format!("req-{}", unique()), "routeKey": format!("{method} {raw_path}"),
        "stage": "$default", "time": "22/Nov/2026:10:00:00 +0000", "timeEpoch": 1795860000000u64,
        "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "tests"},
    });
    if let Some(claims) = claims {
        ctx["authorizer"] = json!({"jwt": {"claims": claims, "scopes": null}});
        hdrs.insert(
            "authorization".into(),
            json!("Bearer eyJhbGciOiJSUzI1NiJ9.verified-by-api-gateway.sig"),
        );
    }
    let mut query_params = serde_json::Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        query_params.insert(k.into(), json!(v));
    }
    json!({
        "version": "2.0", "routeKey": format!("{method} {raw_path}"), "rawPath": raw_path, "rawQueryString": query,
        "headers": hdrs, "queryStringParameters": if query_params.is_empty() { Value::Null } else { Value::Object(query_params) },
        "requestContext": ctx, "body": body, "isBase64Encoded": false,
    })
}

/// Staff claims as API Gateway's JWT authorizer renders them.
pub fn staff_claims(tenant: &str, sub: &str) -> HashMap<String, String> {
    HashMap::from([
        ("sub".into(), sub.into()),
        ("tenant_id".into(), tenant.into()),
        ("roles".into(), "[admin staff]".into()),
        ("email".into(), format!("{sub}@{tenant}.example")),
        ("name".into(), sub.into()),
        ("iss".into(), "https://issuer.example".into()),
    ])
}

/// End-user claims as API Gateway's JWT authorizer renders them.
pub fn customer_claims(tenant: &str, sub: &str, locale: Option<&str>) -> HashMap<String, String> {
    let mut c = HashMap::from([
        ("sub".to_string(), sub.to_string()),
        ("tenant_id".to_string(), tenant.to_string()),
        ("roles".to_string(), "[customer]".to_string()),
        ("email".to_string(), format!("{sub}@{tenant}.example")),
        ("name".to_string(), sub.to_string()),
        ("iss".to_string(), "https://issuer.example".to_string()),
    ]);
    if let Some(l) = locale {
        c.insert("locale".into(), l.into());
    }
    c
}

/// Runs one API Gateway event through lambda_http's request conversion and the router.
pub async fn invoke(router: &axum::Router, event: &Value) -> Resp {
    use tower::ServiceExt;
    let request = lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway event");
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = headers_of(response.headers());
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    Resp {
        status,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        content_type,
        text: String::from_utf8_lossy(&bytes).into_owned(),
        headers,
    }
}

/// The AWS path: area routers on the DynamoDB adapter, called with API Gateway events and
/// chosen by the routes of `infra/template.yaml`, as API Gateway chooses the function.
pub struct Gateway {
    /// Each area's router, by its function's binary name.
    pub routers: HashMap<&'static str, axum::Router>,
    /// The API routes the template declares.
    pub routes: Vec<routes::Route>,
    pub tenant: String,
    pub state: AppState,
}

impl Gateway {
    pub fn new(table: Arc<DynamoTable>, blobs: Arc<dyn store::blobs::Blobs>, config: Config, tenant: &str) -> Gateway {
        let state = AppState::new(table, blobs, config);
        Gateway {
            routers: routes::routers(&state),
            routes: routes::load(),
            tenant: tenant.into(),
            state,
        }
    }

    /// The router of the function the template routes this request to; `None` when no
    /// route matches.
    fn router_for(&self, method: &str, path: &str) -> Option<&axum::Router> {
        let function = routes::function_for(&self.routes, method, path)?;
        let router = self.routers.get(function);
        let router = router.unwrap_or_else(|| panic!("the template routes {method} {path} to {function}, no API area"));
        Some(router)
    }
}

/// API Gateway's answer to a request that matches no route.
fn no_route() -> Resp {
    Resp {
        status: 404,
        body: json!({"message": "Not Found"}),
        content_type: "application/json".into(),
        text: r#"{"message":"Not Found"}"#.into(),
        headers: Vec::new(),
    }
}

#[async_trait::async_trait]
impl Client for Gateway {
    /// Staff calls carry the JWT authorizer's claims (the bearer names the `sub`, as
    /// `tenant:sub` to pick another tenant); portal calls carry the session as a header.
    async fn raw(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Resp {
        let Some(router) = self.router_for(method, path) else {
            return no_route();
        };
        let portal = path.starts_with("/v1/portal")
            || path.starts_with("/portal")
            || path.starts_with("/v1/partner-invitations");
        let mut hdrs: Vec<(&str, String)> = headers.iter().map(|(k, v)| (*k, v.to_string())).collect();
        let claims = match (portal, bearer) {
            // `customer:{sub}[:{locale}]` is an end user of the app; anything else staff.
            (false, Some(who)) => match who.strip_prefix("customer:") {
                Some(rest) => {
                    let (sub, locale) = rest.split_once(':').map_or((rest, None), |(s, l)| (s, Some(l)));
                    Some(customer_claims(&self.tenant, sub, locale))
                }
                None => {
                    let (tenant, sub) = who.split_once(':').unwrap_or((&self.tenant, who));
                    Some(staff_claims(tenant, sub))
                }
            },
            (true, Some(session)) => {
                hdrs.push(("authorization", format!("Bearer {session}")));
                None
            }
            _ => None,
        };
        let h: Vec<(&str, &str)> = hdrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let event = apigw_event(method, path, claims.as_ref(), &h, body.as_deref());
        invoke(router, &event).await
    }
}

#[async_trait::async_trait]
impl scenario::World for Local {
    async fn deliver(&self) {
        // The in-process relay polls the store's change feed; wait until it has caught up.
        for _ in 0..200 {
            if !self.running.relay_behind().unwrap() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the local relay did not catch up");
    }

    /// The local mailbox reports as it sends; what the reports cause is on the change feed.
    async fn feedback(&self) {
        scenario::World::deliver(self).await;
    }

    async fn inbox(&self, to: &str) -> Vec<scenario::Mail> {
        self.outbox(0)
            .await
            .into_iter()
            .filter(|m| m["to"].as_str().is_some_and(|t| t.eq_ignore_ascii_case(to)))
            .map(|m| scenario::Mail {
                to: to.into(),
                subject: m["subject"].as_str().unwrap_or_default().into(),
                body: m["text"].as_str().unwrap_or_default().into(),
            })
            .collect()
    }

    fn staff(&self, sub: &str) -> String {
        self.token("acme", sub, &["staff"])
    }

    async fn advance_hours(&self, hours: u32) {
        let r = self
            .http
            .post(self.url("/local/clock"))
            .json(&json!({"hours": hours}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        self.deliver().await;
    }

    async fn scan(&self, run_id: &str, doc_id: &str, result: &str) {
        let files = local_server::files::LocalBlobs::new(self.data_dir.join("files"), &self.base);
        let key = format!("acme/{run_id}/{doc_id}");
        store::blobs::Blobs::set_tag(&files, &key, app::repo::uploads::SCAN_TAG, result)
            .await
            .unwrap();
    }

    fn other_tenant_staff(&self) -> String {
        self.token("globex", "mallory", &["admin"])
    }

    fn admin(&self) -> String {
        self.token("acme", "root", &["admin"])
    }

    fn staff_email(&self, sub: &str) -> String {
        format!("{sub}@acme.example")
    }
}
