//! The route table: every API route of `infra/template.yaml` is served by its function's
//! router, and every route an area's router serves is declared there for that function.

use std::collections::HashMap;
use std::sync::Arc;

use app::config::Config;
use axum::body::Body;
use axum::http::Request;
use e2e_tests::routes::{self, function_for, Route, AREAS};
use serde_json::Value;
use store_sqlite::EmbeddedTable;
use tower::ServiceExt;
use web::AppState;

/// The methods probed on each path of a route table.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

/// A request path for a route: each `{param}` becomes `x1`.
fn concrete(path: &str) -> String {
    let segments: Vec<&str> = path
        .split('/')
        .map(|s| if routes::is_param(s) { "x1" } else { s })
        .collect();
    segments.join("/")
}

/// Whether the router has a route for this method and path: it answers neither 405 nor its
/// fallback's 404, whatever else it says (401, 400, 404 for a missing record, 415, ...).
async fn serves(router: &axum::Router, method: &str, path: &str) -> bool {
    let request = Request::builder()
        .method(method)
        .uri(concrete(path))
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let fallback = status == 404 && body["detail"] == "route not found";
    !(status == 405 || fallback)
}

/// Every template route's function is one of the API areas.
fn functions_are_areas(template: &[Route], problems: &mut Vec<String>) {
    let areas: Vec<&str> = AREAS.iter().map(|a| a.function).collect();
    for r in template.iter().filter(|r| !areas.contains(&r.function.as_str())) {
        problems.push(format!(
            "{} {}: the template routes it to {}, which is none of the API areas {areas:?}",
            r.method, r.path, r.function
        ));
    }
}

/// Each area's function serves that area's router (its `main.rs` says so), so the table above
/// is the functions' own.
fn functions_serve_their_area(problems: &mut Vec<String>) {
    for area in &AREAS {
        let module = area.function.trim_end_matches("-api");
        let main = format!(
            "{}/../functions/{}/src/main.rs",
            env!("CARGO_MANIFEST_DIR"),
            area.function
        );
        let text = std::fs::read_to_string(&main).unwrap_or_default();
        if !text.contains(&format!("web::{module}::router(")) {
            problems.push(format!("{main} does not serve web::{module}::router"));
        }
    }
}

/// Every template route is served by its function's router.
async fn template_routes_are_served(
    template: &[Route],
    routers: &HashMap<&'static str, axum::Router>,
    problems: &mut Vec<String>,
) {
    for r in template {
        let Some(router) = routers.get(r.function.as_str()) else {
            continue;
        };
        let methods: Vec<&str> = if r.method == "ANY" {
            METHODS.to_vec()
        } else {
            vec![r.method.as_str()]
        };
        let mut served = false;
        for m in methods {
            served |= serves(router, m, &r.path).await;
        }
        if !served {
            problems.push(format!(
                "{} {}: declared for {} in the template, but its router does not serve it",
                r.method, r.path, r.function
            ));
        }
    }
}

/// Every method and path an area's router serves is declared for its function, and reaches it.
async fn router_routes_are_declared(
    template: &[Route],
    routers: &HashMap<&'static str, axum::Router>,
    problems: &mut Vec<String>,
) {
    for area in &AREAS {
        let router = &routers[area.function];
        for path in (area.table)().paths() {
            for m in METHODS {
                if !serves(router, m, path).await {
                    continue;
                }
                let declared = template
                    .iter()
                    .any(|r| r.function == area.function && r.path == *path && (r.method == m || r.method == "ANY"));
                let reached = function_for(template, m, &concrete(path));
                if !declared {
                    problems.push(format!(
                        "{m} {path}: served by {}, but the template does not declare it for that function",
                        area.function
                    ));
                } else if reached != Some(area.function) {
                    problems.push(format!(
                        "{m} {path}: declared for {}, but API Gateway would send it to {reached:?}",
                        area.function
                    ));
                }
            }
        }
    }
}

#[tokio::test]
async fn the_template_and_the_routers_declare_the_same_routes() {
    let template = routes::load();
    assert!(!template.is_empty(), "no HttpApi routes found in {}", routes::TEMPLATE);
    let state = AppState::new(
        Arc::new(EmbeddedTable::in_memory().unwrap()),
        e2e_tests::local_blobs(),
        Config::local("http://127.0.0.1"),
    );
    let routers = routes::routers(&state);
    let mut problems = Vec::new();
    functions_are_areas(&template, &mut problems);
    functions_serve_their_area(&mut problems);
    template_routes_are_served(&template, &routers, &mut problems).await;
    router_routes_are_declared(&template, &routers, &mut problems).await;
    assert!(
        problems.is_empty(),
        "infra/template.yaml and the routers disagree:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_stand_in_picks_routes_as_api_gateway_does() {
    let template = r#"
Resources:
  Api:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: a-api # the binary
    Properties:
      Description: >-
        Events: not an event
      Events:
        One:
          Type: HttpApi
          Properties: {ApiId: !Ref HttpApi, Method: GET, Path: "/v1/runs/{id}", Auth: {Authorizer: NONE}}
        Steps:
          Type: HttpApi
          Properties:
            Method: post
            Path: '/v1/runs/{id}/steps/{key}/complete'
        Queue:
          Type: SQS
          Properties: {Queue: !GetAtt Q.Arn}
  Other:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: b-api
    Properties:
      Events:
        Literal:
          Type: HttpApi
          Properties: {ApiId: !Ref HttpApi, Method: ANY, Path: /v1/runs/mine}
"#;
    let routes = routes::parse(template);
    assert_eq!(routes.len(), 3, "{routes:?}");
    assert_eq!(function_for(&routes, "GET", "/v1/runs/01ABC?x=1"), Some("a-api"));
    assert_eq!(
        function_for(&routes, "GET", "/v1/runs/mine"),
        Some("b-api"),
        "a literal beats a param"
    );
    assert_eq!(function_for(&routes, "DELETE", "/v1/runs/mine"), Some("b-api"));
    assert_eq!(
        function_for(&routes, "DELETE", "/v1/runs/01ABC"),
        None,
        "the method must match"
    );
    assert_eq!(
        function_for(&routes, "POST", "/v1/runs/01ABC/steps/install/complete"),
        Some("a-api")
    );
    assert_eq!(function_for(&routes, "POST", "/v1/runs//steps/install/complete"), None);
    assert_eq!(function_for(&routes, "GET", "/v1/runs"), None);
}

/// The committed `openapi.json` is the document the code generates (served at
/// `GET /v1/openapi.json`); regenerate it with `cargo run -p local-server -- openapi > openapi.json`.
#[test]
fn the_committed_openapi_document_is_the_generated_one() {
    let path = format!("{}/../openapi.json", env!("CARGO_MANIFEST_DIR"));
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = web::openapi::document_json();
    assert!(
        committed == generated,
        "{path} is not the generated document: run `cargo run -p local-server -- openapi > openapi.json`"
    );
    let doc: Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
}

/// Every method and path the routers serve is an operation of the document, and every operation
/// is served; each operation documents a success and problem+json errors.
#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let doc: Value = serde_json::from_str(&web::openapi::document_json()).unwrap();
    let state = AppState::new(
        Arc::new(EmbeddedTable::in_memory().unwrap()),
        e2e_tests::local_blobs(),
        Config::local("http://127.0.0.1"),
    );
    let all = web::all_areas();
    let paths: Vec<&str> = all.paths().to_vec();
    let router = web::finish(all.with_state(state));
    let mut problems = Vec::new();
    for path in &paths {
        for m in METHODS {
            let served = serves(&router, m, path).await;
            let op = &doc["paths"][*path][m.to_lowercase()];
            if served && op.is_null() {
                problems.push(format!("{m} {path}: served, but not in the document"));
            }
            if !served && !op.is_null() {
                problems.push(format!("{m} {path}: in the document, but not served"));
            }
            if op.is_null() {
                continue;
            }
            let responses = op["responses"].as_object().cloned().unwrap_or_default();
            if !responses.keys().any(|s| s.starts_with('2') || s.starts_with('3')) {
                problems.push(format!("{m} {path}: no success response"));
            }
            for status in ["400", "404", "422", "500", "503"] {
                if !responses.contains_key(status) {
                    problems.push(format!("{m} {path}: no {status} response"));
                }
            }
        }
    }
    for (path, _) in doc["paths"].as_object().unwrap() {
        if !paths.contains(&path.as_str()) {
            problems.push(format!("{path}: in the document, but no router declares it"));
        }
    }
    let problem = &doc["components"]["responses"]["Error404"]["content"]["application/problem+json"]["schema"];
    assert_eq!(problem["$ref"], "#/components/schemas/Problem");
    assert!(
        problems.is_empty(),
        "the document and the routers disagree:\n{}",
        problems.join("\n")
    );
}
