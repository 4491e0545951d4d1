//! Working together on a run, on both hosts: request changes, reassignment and participant
//! replacement, teams with claims, the staff inbox; and the inbox's cost per page.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use e2e_tests::aws::AwsWorld;
use e2e_tests::collaboration;
use e2e_tests::scenario::World;
use e2e_tests::{apigw_event, invoke, staff_claims, unique, Client, Local};
use store::{Item, Page, Query, StoreError, Table, Write};

#[tokio::test]
async fn request_changes_on_local_server() {
    collaboration::request_changes(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn request_changes_on_the_aws_path() {
    collaboration::request_changes(&AwsWorld::new().await, &unique()).await;
}

#[tokio::test]
async fn reassignment_on_local_server() {
    collaboration::reassignment(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn reassignment_on_the_aws_path() {
    collaboration::reassignment(&AwsWorld::new().await, &unique()).await;
}

#[tokio::test]
async fn teams_on_local_server() {
    collaboration::teams(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn teams_on_the_aws_path() {
    collaboration::teams(&AwsWorld::new().await, &unique()).await;
}

/// Staff who are not admins cannot manage teams (on the AWS path's stand-in every staff
/// token is an admin's).
#[tokio::test]
async fn only_admins_manage_teams() {
    let local = Local::start().await;
    let staff = local.token("acme", "alice", &["staff"]);
    let body = serde_json::json!({"name": "Back office", "members": []});
    local
        .call("POST", "/v1/teams", Some(&staff), Some(body.clone()))
        .await
        .problem(403);
    let created = local
        .call("POST", "/v1/teams", Some(&local.admin()), Some(body.clone()))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let path = format!("/v1/teams/{}", created.field("id"));
    local.call("PUT", &path, Some(&staff), Some(body)).await.problem(403);
}

#[tokio::test]
async fn comments_on_local_server() {
    collaboration::comments(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn comments_on_the_aws_path() {
    collaboration::comments(&AwsWorld::new().await, &unique()).await;
}

#[tokio::test]
async fn inbox_on_local_server() {
    collaboration::inbox(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn inbox_on_the_aws_path() {
    collaboration::inbox(&AwsWorld::new().await, &unique()).await;
}

/// The table, counting what the routes ask of it.
struct Counting {
    inner: Arc<dyn Table>,
    gets: AtomicUsize,
    queries: AtomicUsize,
}

#[async_trait::async_trait]
impl Table for Counting {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get(pk, sk).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        self.inner.query(query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.inner.transact(writes).await
    }
}

/// A page of the inbox is one Query on DynamoDB, however many runs there are and whatever
/// the filters.
#[tokio::test]
async fn an_inbox_page_is_one_query() {
    let w = AwsWorld::new().await;
    let tag = unique();
    collaboration::inbox(&w, &tag).await;
    let counting = Arc::new(Counting {
        inner: w.table.clone(),
        gets: AtomicUsize::new(0),
        queries: AtomicUsize::new(0),
    });
    let state = web::AppState::new(counting.clone(), e2e_tests::local_blobs(), w.config.clone());
    let router = web::process::router(state);
    let claims = staff_claims(&w.gw.tenant, "ua");
    for query in [
        "assignee=me&limit=2",
        "status=active&limit=5",
        "overdue=true&limit=1",
        "assignee=user:ua&sort=activated",
        "assignee=customer&status=pending",
    ] {
        let (q0, g0) = (
            counting.queries.load(Ordering::SeqCst),
            counting.gets.load(Ordering::SeqCst),
        );
        let path = format!("/v1/tasks?{query}");
        let r = invoke(&router, &apigw_event("GET", &path, Some(&claims), &[], None)).await;
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        assert!(!r.body["items"].as_array().unwrap().is_empty(), "{query}");
        let queries = counting.queries.load(Ordering::SeqCst) - q0;
        let gets = counting.gets.load(Ordering::SeqCst) - g0;
        assert_eq!((queries, gets), (1, 0), "{query}: one Query, no GetItem");
    }
}
