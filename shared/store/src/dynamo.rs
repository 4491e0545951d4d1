//! The DynamoDB adapter (aws-sdk-dynamodb, serde_dynamo).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, Put, ScalarAttributeType, StreamSpecification, StreamViewType,
    TransactWriteItem,
};
use aws_sdk_dynamodb::Client;

use super::{check_item, Cond, Index, Item, Page, Query, SortKey, StoreError, Table, Write};

pub struct DynamoTable {
    client: Client,
    name: String,
}

type Av = HashMap<String, AttributeValue>;

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// What DynamoDB's answer means for the caller: the service not reached, throttled or failing
/// for a moment is `Backend` (retry); a request it refuses for good is `Invalid` (a bug).
fn sdk_error<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    const PASSING: [&str; 7] = [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
        "LimitExceededException",
    ];
    let passing = match &e {
        SdkError::ServiceError(s) => s.err().code().is_some_and(|c| PASSING.contains(&c)),
        SdkError::ConstructionFailure(_) => false,
        _ => true,
    };
    let text = aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string();
    if passing {
        StoreError::Backend(text)
    } else {
        StoreError::Invalid(text)
    }
}

fn to_av(item: &Item) -> Result<Av, StoreError> {
    serde_dynamo::to_item(item).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn from_av(item: Av) -> Result<Item, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn key(pk: &str, sk: &str) -> Av {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(pk.to_string())),
        ("sk".to_string(), AttributeValue::S(sk.to_string())),
    ])
}

/// The condition expression, its names and its values.
type Expr = (Option<String>, Option<HashMap<String, String>>, Option<Av>);

fn condition(cond: &Cond) -> Expr {
    match cond {
        Cond::None => (None, None, None),
        Cond::NotExists => (Some("attribute_not_exists(pk)".into()), None, None),
        Cond::Exists => (Some("attribute_exists(pk)".into()), None, None),
        Cond::Version(v) => (
            Some("#version = :version".into()),
            Some(HashMap::from([("#version".to_string(), "version".to_string())])),
            Some(HashMap::from([(
                ":version".to_string(),
                AttributeValue::N(v.to_string()),
            )])),
        ),
    }
}

impl DynamoTable {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        DynamoTable {
            client,
            name: name.into(),
        }
    }

    fn write_item(&self, w: Write) -> Result<TransactWriteItem, StoreError> {
        // Each kind of write gets the same condition expression, names and values.
        macro_rules! conditioned {
            ($builder:expr, $condition:expr) => {{
                let (expr, names, values) = $condition;
                $builder
                    .table_name(&self.name)
                    .set_condition_expression(expr)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
            }};
        }
        let built = match w {
            Write::Put { item, cond } => {
                check_item(&item)?;
                let put = conditioned!(Put::builder().set_item(Some(to_av(&item)?)), condition(&cond))
                    .build()
                    .map_err(backend)?;
                TransactWriteItem::builder().put(put).build()
            }
            Write::Delete { pk, sk, cond } => {
                let del = conditioned!(Delete::builder().set_key(Some(key(&pk, &sk))), condition(&cond))
                    .build()
                    .map_err(backend)?;
                TransactWriteItem::builder().delete(del).build()
            }
            Write::Check { pk, sk, cond } => {
                // A check needs an expression: `Cond::None` holds for any item.
                let (expr, names, values) = condition(&cond);
                let expr = expr.unwrap_or_else(|| "attribute_exists(pk) OR attribute_not_exists(pk)".into());
                let check = conditioned!(
                    ConditionCheck::builder().set_key(Some(key(&pk, &sk))),
                    (Some(expr), names, values)
                )
                .build()
                .map_err(backend)?;
                TransactWriteItem::builder().condition_check(check).build()
            }
        };
        Ok(built)
    }

    /// Creates the table with the schema of `infra/template.yaml` (tests and local tooling).
    pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
        let s = |n: &str| {
            AttributeDefinition::builder()
                .attribute_name(n)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(backend)
        };
        let k = |n: &str, t: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(n)
                .key_type(t)
                .build()
                .map_err(backend)
        };
        let mut req = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(k("pk", KeyType::Hash)?)
            .key_schema(k("sk", KeyType::Range)?)
            .attribute_definitions(s("pk")?)
            .attribute_definitions(s("sk")?)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewImage)
                    .build()
                    .map_err(backend)?,
            );
        for index in Index::SECONDARY {
            let (p, sk) = index.key_names();
            req = req
                .attribute_definitions(s(p)?)
                .attribute_definitions(s(sk)?)
                .global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name(index.name().unwrap_or_default())
                        .key_schema(k(p, KeyType::Hash)?)
                        .key_schema(k(sk, KeyType::Range)?)
                        .projection(Projection::builder().projection_type(ProjectionType::All).build())
                        .build()
                        .map_err(backend)?,
                );
        }
        req.send().await.map_err(sdk_error)?;
        Ok(())
    }
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        if !super::key_fits(pk, Some(sk)) {
            return Ok(None);
        }
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        out.item.map(from_av).transpose()
    }

    async fn query(&self, q: Query) -> Result<Page, StoreError> {
        let prefix_fits = q.sk.as_ref().is_none_or(|c| c.value().len() <= super::MAX_SK_BYTES);
        if !super::key_fits(&q.pk, None) || !prefix_fits {
            return Ok(Page::default());
        }
        let (p, s) = q.index.key_names();
        let mut names = HashMap::from([("#p".to_string(), p.to_string())]);
        let mut values = HashMap::from([(":p".to_string(), AttributeValue::S(q.pk.clone()))]);
        let mut expr = "#p = :p".to_string();
        if let Some(cond) = &q.sk {
            names.insert("#s".into(), s.into());
            values.insert(":s".into(), AttributeValue::S(cond.value().to_string()));
            expr.push_str(match cond {
                SortKey::BeginsWith(_) => " AND begins_with(#s, :s)",
                SortKey::Below(_) => " AND #s < :s",
            });
        }
        let start = q.start.as_ref().map(to_av).transpose()?;
        let out = self
            .client
            .query()
            .table_name(&self.name)
            .set_index_name(q.index.name().map(str::to_string))
            .key_condition_expression(expr)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .set_limit(q.limit.map(|l| l as i32))
            .set_exclusive_start_key(start)
            .scan_index_forward(q.forward)
            .send()
            .await
            .map_err(sdk_error)?;
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_av)
            .collect::<Result<Vec<_>, _>>()?;
        let last_key = out.last_evaluated_key.map(from_av).transpose()?;
        Ok(Page { items, last_key })
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let items = writes
            .into_iter()
            .map(|w| self.write_item(w))
            .collect::<Result<Vec<_>, _>>()?;
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(service)) => match service.into_err() {
                TransactWriteItemsError::TransactionCanceledException(e) => {
                    let reasons = e.cancellation_reasons();
                    if let Some(i) = reasons.iter().position(|r| r.code() == Some("ConditionalCheckFailed")) {
                        Err(StoreError::ConditionFailed(i))
                    } else if reasons.iter().any(|r| r.code() == Some("TransactionConflict")) {
                        Err(StoreError::Conflict)
                    } else {
                        Err(backend(format!("transaction cancelled: {e}")))
                    }
                }
                other => Err(sdk_error(SdkError::service_error(other, ()))),
            },
            Err(e) => Err(sdk_error(e)),
        }
    }
}
