//! The Lambda entry point (`bootstrap`): logging, the shared configuration built once, and the
//! runtime loop, which hands each payload to its front door (`doors::route`).

use std::time::{Duration, UNIX_EPOCH};

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent, Runtime};
use organizations_account_handler::aws::clients::Clients;
use organizations_account_handler::doors::body::{NonJsonGuard, Payload};
use organizations_account_handler::doors::{self, logging};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let clients = Clients::from_environment().await;
    let clients = &clients;
    let handler = service_fn(move |event: LambdaEvent<Payload>| async move {
        // The invocation's deadline (ms since the epoch) caps how long a step may wait inside it.
        let deadline = UNIX_EPOCH + Duration::from_millis(event.context.deadline);
        let function = &event.context.invoked_function_arn;
        doors::route(clients, event.payload, Some(deadline), function)
            .await
            .into_result()
            .map_err(|e| Diagnostic {
                error_type: "OrganizationsAccountFailed".into(),
                error_message: e.to_string(),
            })
    });
    Runtime::new(handler).layer(NonJsonGuard).run().await
}
