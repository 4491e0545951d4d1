//! End-to-end tests over the public API, on both storage backends. Run them with
//! `scripts/test`, which starts DynamoDB Local and moto's server and sets `DYNAMODB_ENDPOINT` and
//! `MOTO_ENDPOINT`.

mod automation;
mod bad_input;
mod bounces;
mod collaboration;
mod contract;
mod faults;
mod lambda_events;
mod offers_orders;
mod partners;
mod routes;
mod scenarios;
mod sender;
