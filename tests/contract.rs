//! The storage contract: the same suite on the embedded adapter and on DynamoDB (Amazon's DynamoDB Local).

use e2e_tests::{dynamo_table, sdk, unique};
use serde_json::{json, Value};
use store::{Cond, Index, Item, Query, StoreError, Table, Write};
use store_sqlite::EmbeddedTable;

fn item(v: Value) -> Item {
    v.as_object().unwrap().clone()
}

async fn all_pages(t: &dyn Table, q: Query) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = t.query(q.clone().start(start)).await.unwrap();
        out.extend(page.items.iter().map(|i| i["sk"].as_str().unwrap().to_string()));
        match page.last_key {
            Some(k) => start = Some(k),
            None => return out,
        }
    }
}

async fn suite(t: &dyn Table) {
    let p = format!("T#c{}#X", unique());
    // Put if absent, then again: the second fails and changes nothing.
    let a = item(json!({"pk": p, "sk": "A", "version": 1, "n": 1.5, "nested": {"list": [1, "two", null, true]}}));
    t.transact(vec![Write::put(a.clone(), Cond::NotExists)]).await.unwrap();
    let again = item(json!({"pk": p, "sk": "A", "version": 9}));
    assert!(matches!(
        t.transact(vec![Write::put(again, Cond::NotExists)]).await,
        Err(StoreError::ConditionFailed(0))
    ));
    let got = t.get(&p, "A").await.unwrap().unwrap();
    assert_eq!(got["version"], json!(1));
    assert_eq!(got["nested"], json!({"list": [1, "two", null, true]}));
    assert_eq!(got["n"], json!(1.5));
    assert!(t.get(&p, "missing").await.unwrap().is_none());

    // Version checks: the right version writes, a stale one fails.
    let v2 = item(json!({"pk": p, "sk": "A", "version": 2}));
    t.transact(vec![Write::put(v2, Cond::Version(1))]).await.unwrap();
    let stale = item(json!({"pk": p, "sk": "A", "version": 3}));
    assert!(matches!(
        t.transact(vec![Write::put(stale, Cond::Version(1))]).await,
        Err(StoreError::ConditionFailed(0))
    ));
    assert!(matches!(
        t.transact(vec![Write::put(
            item(json!({"pk": p, "sk": "none", "version": 1})),
            Cond::Version(0)
        )])
        .await,
        Err(StoreError::ConditionFailed(0))
    ));

    // Transactions are atomic: one failing condition and nothing is written.
    let b = item(json!({"pk": p, "sk": "B", "version": 1}));
    let c = item(json!({"pk": p, "sk": "C", "version": 1}));
    let failing = vec![
        Write::put(b.clone(), Cond::NotExists),
        Write::Check {
            pk: p.clone(),
            sk: "A".into(),
            cond: Cond::Version(7),
        },
        Write::put(c.clone(), Cond::None),
    ];
    assert!(matches!(t.transact(failing).await, Err(StoreError::ConditionFailed(1))));
    assert!(t.get(&p, "B").await.unwrap().is_none());
    assert!(t.get(&p, "C").await.unwrap().is_none());
    t.transact(vec![
        Write::put(b, Cond::NotExists),
        Write::Check {
            pk: p.clone(),
            sk: "A".into(),
            cond: Cond::Version(2),
        },
        Write::put(c, Cond::None),
    ])
    .await
    .unwrap();
    assert!(t.get(&p, "C").await.unwrap().is_some());

    // Deletes honour their condition.
    assert!(matches!(
        t.transact(vec![Write::Delete {
            pk: p.clone(),
            sk: "C".into(),
            cond: Cond::Version(5)
        }])
        .await,
        Err(StoreError::ConditionFailed(0))
    ));
    t.transact(vec![Write::Delete {
        pk: p.clone(),
        sk: "C".into(),
        cond: Cond::Exists,
    }])
    .await
    .unwrap();
    assert!(t.get(&p, "C").await.unwrap().is_none());

    // Queries: prefix, order both ways, pagination with limit on the table and on an index.
    let q = format!("T#c{}#Q", unique());
    let g = format!("T#c{}#G", unique());
    let mut writes = Vec::new();
    for i in 0..7 {
        writes.push(Write::put(
            item(json!({"pk": q, "sk": format!("EVT#{i:02}"), "gsi1pk": g, "gsi1sk": format!("running#{i:02}")})),
            Cond::None,
        ));
    }
    writes.push(Write::put(
        item(json!({"pk": q, "sk": "RUN", "gsi1pk": g, "gsi1sk": "done#00"})),
        Cond::None,
    ));
    writes.push(Write::put(item(json!({"pk": q, "sk": "ZZZ"})), Cond::None));
    t.transact(writes).await.unwrap();
    let forward = all_pages(t, Query::new(Index::Primary, q.clone()).begins_with("EVT#").limit(3)).await;
    assert_eq!(forward, (0..7).map(|i| format!("EVT#{i:02}")).collect::<Vec<_>>());
    let backward = all_pages(
        t,
        Query::new(Index::Primary, q.clone())
            .begins_with("EVT#")
            .limit(2)
            .backward(),
    )
    .await;
    assert_eq!(
        backward,
        (0..7).rev().map(|i| format!("EVT#{i:02}")).collect::<Vec<_>>()
    );
    let everything = all_pages(t, Query::new(Index::Primary, q.clone())).await;
    assert_eq!(everything.len(), 9);
    let indexed = all_pages(t, Query::new(Index::Gsi1, g.clone()).limit(4).backward()).await;
    assert_eq!(indexed.len(), 8, "items without gsi1 keys are not in gsi1");
    assert_eq!(indexed[0], "EVT#06");
    assert_eq!(indexed[7], "RUN", "done#00 sorts before running#…");
    let running = all_pages(t, Query::new(Index::Gsi1, g.clone()).begins_with("running#").limit(5)).await;
    assert_eq!(running.len(), 7);
    assert!(t
        .query(Query::new(Index::Gsi2, g.clone()))
        .await
        .unwrap()
        .items
        .is_empty());
    // Sort keys below a bound (what the sweeper reads: everything due before now).
    let early = all_pages(t, Query::new(Index::Primary, q.clone()).below("EVT#03").limit(2)).await;
    assert_eq!(early, ["EVT#00", "EVT#01", "EVT#02"]);
    let late_first = all_pages(t, Query::new(Index::Gsi1, g.clone()).below("running#02").backward()).await;
    assert_eq!(late_first, ["EVT#01", "EVT#00", "RUN"]);
    // The fourth index is sparse like the others.
    t.transact(vec![Write::put(
        item(json!({"pk": q, "sk": "OVER", "gsi4pk": g, "gsi4sk": "r1"})),
        Cond::None,
    )])
    .await
    .unwrap();
    assert_eq!(all_pages(t, Query::new(Index::Gsi4, g.clone())).await, ["OVER"]);

    // Keys are checked before anything is written.
    assert!(t
        .transact(vec![Write::put(item(json!({"sk": "x"})), Cond::None)])
        .await
        .is_err());
    assert!(t
        .transact(vec![Write::put(
            item(json!({"pk": q, "sk": "y", "gsi1pk": 5})),
            Cond::None
        )])
        .await
        .is_err());
}

#[tokio::test]
async fn embedded_adapter_keeps_the_contract() {
    suite(&EmbeddedTable::in_memory().unwrap()).await;
}

#[tokio::test]
async fn embedded_adapter_is_durable() {
    let path = std::env::temp_dir().join(format!("portal-{}.sqlite3", unique()));
    {
        let t = EmbeddedTable::open(&path).unwrap();
        t.transact(vec![Write::put(
            item(json!({"pk": "T#a#X", "sk": "1", "version": 1})),
            Cond::NotExists,
        )])
        .await
        .unwrap();
    }
    let t = EmbeddedTable::open(&path).unwrap();
    assert_eq!(t.get("T#a#X", "1").await.unwrap().unwrap()["version"], json!(1));
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn dynamodb_adapter_keeps_the_contract() {
    let sdk = sdk().await;
    let (table, _) = dynamo_table(&sdk).await;
    suite(&table).await;
}
