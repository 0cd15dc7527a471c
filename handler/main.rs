//! The Lambda entry point (`bootstrap`): logging, the shared configuration built once, and the
//! runtime loop. Every answer is a ProgressEvent; the function never returns a Lambda error.

use std::convert::Infallible;
use std::time::{Duration, UNIX_EPOCH};

use lambda_runtime::{service_fn, LambdaEvent, Runtime};
use organizations_account_handler::{dispatch, lambda::NonJsonGuard, logging, org::Clients};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let clients = Clients::from_environment().await;
    let clients = &clients;
    let handler = service_fn(move |event: LambdaEvent<Value>| async move {
        // The invocation's deadline (ms since the epoch) caps how long a step may wait inside it.
        let deadline = UNIX_EPOCH + Duration::from_millis(event.context.deadline);
        let answer = dispatch::handle_until(clients, event.payload, Some(deadline)).await;
        Ok::<Value, Infallible>(answer.to_json())
    });
    Runtime::new(handler).layer(NonJsonGuard).run().await
}
