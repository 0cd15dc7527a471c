//! The front doors: the registry resource-provider protocol and custom resources, the runtime
//! glue in front of both, and the one decision which door a payload goes through.

pub mod body;
pub mod custom;
pub mod logging;
pub mod registry;

use std::time::SystemTime;

use serde_json::Value;

use crate::aws::clients::Clients;
use body::Payload;
use custom::FunctionError;
use registry::dispatch;
use registry::protocol::ProgressEvent;

/// What one invocation answers, by the door it went through.
#[derive(Debug)]
pub enum Reply {
    /// A registry request always gets a ProgressEvent, never a Lambda error.
    Registry(ProgressEvent),
    /// A custom resource's function result, or the function error it ends in.
    Custom(Result<Value, FunctionError>),
}

impl Reply {
    /// The function's result, as Lambda returns it.
    pub fn into_result(self) -> Result<Value, FunctionError> {
        match self {
            Reply::Registry(event) => Ok(event.to_json()),
            Reply::Custom(result) => result,
        }
    }
}

/// Hands one invocation's payload to its door: a custom-resource request (`RequestType`) to
/// `custom`, anything else (a body that was not JSON included) to the registry's dispatcher.
/// `deadline` is the Lambda invocation's; `invoked_function_arn` names this function.
pub async fn route(
    clients: &Clients,
    payload: Payload,
    deadline: Option<SystemTime>,
    invoked_function_arn: &str,
) -> Reply {
    match payload {
        Payload::NotJson(why) => Reply::Registry(dispatch::not_json(&why)),
        Payload::Json(value) if custom::recognise(&value) => {
            Reply::Custom(custom::handle(clients, value, deadline, invoked_function_arn).await)
        }
        Payload::Json(value) => {
            Reply::Registry(dispatch::handle_until(clients, value, deadline).await)
        }
    }
}

/// What a panicked task said, for a FAILED answer's message.
pub fn panic_text(e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return format!("the handler task ended early: {e}");
    }
    let what = e.into_panic();
    let text = what
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| what.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("the handler failed unexpectedly: {text}")
}
