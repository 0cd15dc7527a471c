//! The Lambda entry point (`bootstrap`): logging, the shared configuration built once, and the
//! runtime loop. Every answer is a ProgressEvent; the function never returns a Lambda error.

use std::convert::Infallible;

use lambda_runtime::{service_fn, LambdaEvent, Runtime};
use organizations_account_handler::{dispatch, lambda::NonJsonGuard, logging, org::Clients};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let clients = Clients::from_environment().await;
    let clients = &clients;
    let handler = service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<Value, Infallible>(dispatch::handle(clients, event.payload).await.to_json())
    });
    Runtime::new(handler).layer(NonJsonGuard).run().await
}
