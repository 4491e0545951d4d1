//! Triggers end to end, on both hosts: the energy-storage order story; and a redelivered
//! event that starts nothing twice.

use e2e_tests::automation::{esp_order_story, inbound_webhook};
use e2e_tests::aws::AwsWorld;
use e2e_tests::{unique, Local};
use store::{Index, Query, Table};

/// Deliveries to a loopback receiver: local-server may reach loopback (a development tool).
#[tokio::test]
async fn outbound_webhooks_on_local_server() {
    e2e_tests::webhooks::outbound_story(&Local::start().await, &unique()).await;
}

/// The same story through the webhooks queue and webhook-sender, on DynamoDB; only this
/// world lets subscriptions reach loopback (the receiver), as local-server does.
#[tokio::test]
async fn outbound_webhooks_on_the_aws_path() {
    let w = AwsWorld::with(|c| c.webhooks_allow_private = true).await;
    e2e_tests::webhooks::outbound_story(&w, &unique()).await;
}

#[tokio::test]
async fn outbound_webhooks_refuse_internal_targets_on_the_aws_path() {
    e2e_tests::webhooks::refused_targets(&AwsWorld::new().await, &unique()).await;
}

#[tokio::test]
async fn inbound_webhook_on_local_server() {
    inbound_webhook(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn inbound_webhook_on_the_aws_path() {
    inbound_webhook(&AwsWorld::new().await, &unique()).await;
}

#[tokio::test]
async fn esp_order_story_on_local_server() {
    esp_order_story(&Local::start().await, &unique()).await;
}

/// On the AWS path, every event of the order handled again (as SQS redelivers): still one run.
#[tokio::test]
async fn esp_order_story_on_the_aws_path() {
    let w = AwsWorld::new().await;
    let (order, _) = esp_order_story(&w, &unique()).await;
    let pk = app::keys::order(&w.gw.tenant, &order).pk;
    let events = w
        .table
        .query(Query::new(Index::Primary, pk).begins_with(app::keys::EVENT_SK_PREFIX))
        .await
        .unwrap()
        .items;
    assert!(!events.is_empty());
    let before = w
        .table
        .query(Query::new(Index::Gsi3, app::keys::runs_all(&w.gw.tenant, false)).limit(100))
        .await
        .unwrap()
        .items
        .len();
    for e in &events {
        w.notifier().handle(e).await.unwrap();
    }
    let after = w
        .table
        .query(Query::new(Index::Gsi3, app::keys::runs_all(&w.gw.tenant, false)).limit(100))
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(before, after, "a redelivered order_placed starts no second run");
}
