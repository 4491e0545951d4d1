//! A fault-injecting proxy on loopback in front of DynamoDB Local or moto: the SDK clients
//! of a test talk to it, it forwards every request, except that the requests a [`Fault`]
//! matches get the error the real service answers with (throttled, unavailable) a given
//! number of times. The faults are real answers on the wire, so the SDK's retries and the
//! code's error mapping all run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::response::Response;

/// Which requests fail, how often, with what.
pub struct Fault {
    /// `X-Amz-Target` of the JSON protocols (`DynamoDB_20120810.GetItem`,
    /// `AmazonSQS.SendMessageBatch`), or a path prefix (`/v2/email/outbound-emails`).
    pub operation: &'static str,
    /// Only requests whose body contains this (empty: every request of the operation).
    pub body_contains: &'static str,
    /// Matching requests let through before the failures start.
    pub skip: usize,
    /// Matching requests that fail.
    pub fail: usize,
    pub status: u16,
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: &'static str,
    seen: AtomicUsize,
}

impl Fault {
    pub fn new(operation: &'static str, fail: usize, status: u16, body: &'static str) -> Fault {
        Fault {
            operation,
            body_contains: "",
            skip: 0,
            fail,
            status,
            headers: Vec::new(),
            body,
            seen: AtomicUsize::new(0),
        }
    }

    pub fn header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn when_body_contains(mut self, s: &'static str) -> Self {
        self.body_contains = s;
        self
    }

    /// SES v2 `SendEmail` throttled (`TooManyRequestsException`, 429).
    pub fn ses_throttled(fail: usize) -> Fault {
        Fault::new(
            "/v2/email/outbound-emails",
            fail,
            429,
            r#"{"message":"Maximum sending rate exceeded."}"#,
        )
        .header("x-amzn-errortype", "TooManyRequestsException:")
    }

    /// An SQS JSON-protocol operation failing inside SQS (500 `InternalError`).
    pub fn sqs_unavailable(operation: &'static str, fail: usize) -> Fault {
        Fault::new(operation, fail, 500, r#"{"__type":"com.amazonaws.sqs#InternalError","message":"We encountered an internal error. Please try again."}"#)
            .header("x-amzn-query-error", "InternalError;Receiver")
    }

    /// A DynamoDB operation throttled (`ThrottlingException`, 400).
    pub fn dynamodb_throttled(operation: &'static str, fail: usize) -> Fault {
        Fault::new(
            operation,
            fail,
            400,
            r#"{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Throughput exceeds the current capacity of your table or index."}"#,
        )
    }

    fn matches(&self, target: &str, path: &str, body: &[u8]) -> bool {
        let op = if self.operation.starts_with('/') {
            path.starts_with(self.operation)
        } else {
            target == self.operation
        };
        op && (self.body_contains.is_empty() || String::from_utf8_lossy(body).contains(self.body_contains))
    }
}

struct Shared {
    upstream: String,
    faults: Vec<Fault>,
    injected: AtomicUsize,
    http: reqwest::Client,
}

pub struct FaultProxy {
    pub endpoint: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FaultProxy {
    pub async fn start(upstream: &str, faults: Vec<Fault>) -> FaultProxy {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            faults,
            injected: AtomicUsize::new(0),
            http: reqwest::Client::new(),
        });
        let app = axum::Router::new().fallback(forward).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FaultProxy {
            endpoint,
            shared,
            server,
        }
    }

    /// How many failures were answered so far.
    pub fn injected(&self) -> usize {
        self.shared.injected.load(Ordering::SeqCst)
    }

    /// An SDK configuration whose clients go through the proxy, retrying as the SDK does
    /// by default (three attempts) but with short pauses, so that tests stay quick.
    pub fn sdk(&self, base: &aws_config::SdkConfig) -> aws_config::SdkConfig {
        let retry = aws_config::retry::RetryConfig::standard()
            .with_initial_backoff(Duration::from_millis(20))
            .with_max_backoff(Duration::from_millis(200));
        base.to_builder()
            .endpoint_url(&self.endpoint)
            .retry_config(retry)
            .build()
    }
}

async fn forward(State(s): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, 64 << 20).await.unwrap_or_default();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let path = parts.uri.path().to_string();
    for f in &s.faults {
        if f.matches(&target, &path, &body) {
            let n = f.seen.fetch_add(1, Ordering::SeqCst);
            if n >= f.skip && n < f.skip + f.fail {
                s.injected.fetch_add(1, Ordering::SeqCst);
                let mut r = Response::builder()
                    .status(f.status)
                    .header("content-type", "application/x-amz-json-1.0");
                for (k, v) in &f.headers {
                    r = r.header(*k, *v);
                }
                return r.body(Body::from(f.body)).unwrap();
            }
        }
    }
    let url = format!(
        "{}{}",
        s.upstream,
        parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let mut up = s.http.request(parts.method.clone(), url).body(body);
    for (k, v) in &parts.headers {
        if k != "host" && k != "content-length" {
            up = up.header(k, v);
        }
    }
    match up.send().await {
        Ok(r) => {
            let mut out = Response::builder().status(r.status().as_u16());
            for (k, v) in r.headers() {
                if k != "content-length" && k != "transfer-encoding" {
                    out = out.header(k, v);
                }
            }
            let bytes = r.bytes().await.unwrap_or_default();
            out.body(Body::from(bytes)).unwrap()
        }
        Err(e) => Response::builder().status(502).body(Body::from(e.to_string())).unwrap(),
    }
}
