//! The Lambda entry point (`bootstrap`): logging, the shared configuration built once, and the
//! runtime loop, which hands each payload to its front door: a custom-resource request
//! (`RequestType`) to `custom`, anything else to the registry protocol's `dispatch`. A registry
//! request always gets a ProgressEvent, never a Lambda error.

use std::time::{Duration, UNIX_EPOCH};

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent, Runtime};
use organizations_account_handler::aws::clients::Clients;
use organizations_account_handler::doors::registry::dispatch;
use organizations_account_handler::doors::{body::NonJsonGuard, custom, logging};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let clients = Clients::from_environment().await;
    let clients = &clients;
    let handler = service_fn(move |event: LambdaEvent<Value>| async move {
        // The invocation's deadline (ms since the epoch) caps how long a step may wait inside it.
        let deadline = UNIX_EPOCH + Duration::from_millis(event.context.deadline);
        if custom::recognise(&event.payload) {
            let function = &event.context.invoked_function_arn;
            return custom::handle(clients, event.payload, Some(deadline), function)
                .await
                .map_err(|reason| Diagnostic {
                    error_type: "OrganizationsAccountFailed".into(),
                    error_message: reason.to_string(),
                });
        }
        let answer = dispatch::handle_until(clients, event.payload, Some(deadline)).await;
        Ok::<Value, Diagnostic>(answer.to_json())
    });
    Runtime::new(handler).layer(NonJsonGuard).run().await
}
