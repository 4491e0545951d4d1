//! Handlers fed with the sample events in `infra/events/` (what `sam local invoke` would send):
//! API Gateway HTTP API v2 requests with JWT authorizer claims through lambda_http, a
//! DynamoDB Streams batch for the relay, an SQS batch for the sender.

use std::sync::Arc;

use app::config::Config;
use app::email::notify::Notifier;
use e2e_tests::invoke;
use local_server::mailbox::FileMailer;
use serde_json::Value;
use store_sqlite::EmbeddedTable;
use web::AppState;

fn sample(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../infra/events")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn api_gateway_events_reach_the_process_api() {
    let state = AppState::new(
        Arc::new(EmbeddedTable::in_memory().unwrap()),
        e2e_tests::local_blobs(),
        Config::local("https://portal.example"),
    );
    let router = web::process::router(state);

    let created = invoke(&router, &sample("api-create-journey.json")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["name"], "Installation report");
    let other = invoke(&router, &sample("api-create-journey-other-tenant.json")).await;
    assert_eq!(other.status, 201);

    let listed = invoke(&router, &sample("api-list-journeys.json")).await;
    assert_eq!(listed.status, 200);
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the other tenant's journey is not listed");
    assert_eq!(items[0]["id"], created.body["id"]);
    assert!(listed.body.get("next_cursor").is_some());

    let anonymous = invoke(&router, &sample("api-no-claims.json")).await;
    anonymous.problem(401);
}

#[tokio::test]
async fn a_stream_batch_yields_its_event_items() {
    let event: aws_lambda_events::dynamodb::Event =
        serde_json::from_value(sample("dynamodb-stream-event.json")).unwrap();
    let events = lambda_host::events::stream_events(&event);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1["type"], "run_started");
    assert_eq!(events[0].1["tenant_id"], "acme");
}

#[tokio::test]
async fn an_sqs_batch_for_an_unknown_run_is_dropped_not_retried_forever() {
    let event: aws_lambda_events::sqs::SqsEvent = serde_json::from_value(sample("sqs-event.json")).unwrap();
    let table = EmbeddedTable::in_memory().unwrap();
    let dir = std::env::temp_dir().join(format!("portal-sqs-{}", e2e_tests::unique()));
    let mailer = FileMailer::new(dir.clone()).unwrap();
    let config = Config::local("https://portal.example");
    let notifier = Notifier {
        table: &table,
        mailer: &mailer,
        config: &config,
    };
    let response = lambda_host::events::send_batch(&notifier, &event).await;
    assert!(response.batch_item_failures.is_empty());
    assert!(mailer.list().unwrap().is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_relay_skips_records_that_are_not_events() {
    let mut event = sample("dynamodb-stream-event.json");
    let mut run_record = event["Records"][0].clone();
    run_record["dynamodb"]["NewImage"]["entity"] = serde_json::json!({"S": "run"});
    run_record["dynamodb"]["NewImage"]["sk"] = serde_json::json!({"S": "RUN"});
    let mut removal = event["Records"][0].clone();
    removal["eventName"] = serde_json::json!("REMOVE");
    event["Records"].as_array_mut().unwrap().extend([run_record, removal]);
    let event: aws_lambda_events::dynamodb::Event = serde_json::from_value(event).unwrap();
    assert_eq!(event.records.len(), 3);
    let events = lambda_host::events::stream_events(&event);
    assert_eq!(events.len(), 1, "only the inserted event item is relayed");
}
