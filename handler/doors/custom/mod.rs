//! The custom-resource front door: CloudFormation's `Custom::` requests, answered by a PUT to
//! the presigned `ResponseURL`, and the CDK provider framework's onEvent/isComplete calls,
//! answered by the function's result. The account logic is the registry type's own
//! (`lifecycle::advance` over the same stages); only the waiting differs: with no callback loop,
//! a wait continues in this invocation while its time lasts, then in a later invocation of the
//! same function (an asynchronous self-invoke carrying the stage), until the resource's
//! `ServiceTimeout` is nearly spent.
//!
//! Every request that names a ResponseURL gets exactly one answer there: parse errors, handler
//! errors, a panic, a stuck step and a failed hand-off all end in FAILED with the reason.
//!
//! The rooms: `event` reads a request, `work` runs the lifecycle within the invocation's time,
//! and the three ways of answering each have a file: `url` (a PUT to the ResponseURL, or a
//! hand-off to a later invocation), `cdk` (the provider framework's onEvent and isComplete
//! results), with `answer` (the bodies) and `physical` (the PhysicalResourceId) shared by them.

mod answer;
mod cdk;
mod event;
mod physical;
mod url;
mod work;

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{json, Value};
use tracing::{error, info, Instrument};

use crate::account::lifecycle::Write;
use crate::aws::clients::Clients;
use crate::aws::response_url;
use answer::Answer;
use event::{Echo, Progress};

pub use event::PROGRESS_KEY;

/// Every stage a custom resource's carried progress can name, with its request type (`Create`,
/// `Update`, `Delete`): for tests that forge progress for each of them, so that a stage added
/// later is covered without editing them.
pub fn stage_names() -> Vec<(&'static str, &'static str)> {
    Write::ALL
        .into_iter()
        .flat_map(|w| {
            let request_type = match w {
                Write::Create => "Create",
                Write::Update => "Update",
                Write::Delete => "Delete",
            };
            w.stage_names().iter().map(move |n| (request_type, *n))
        })
        .collect()
}

/// The configuration naming ResponseURL hosts besides AWS's (local test set-ups only).
pub const RESPONSE_HOSTS_VARIABLE: &str = response_url::HOSTS_VARIABLE;

/// Whether a payload is a custom-resource request rather than a registry one.
pub fn recognise(payload: &Value) -> bool {
    payload.get("RequestType").is_some() && payload.get("action").is_none()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    ResponseUrl,
    CdkOnEvent,
    CdkIsComplete,
}

/// Why an invocation ends in a function error: the only failure this door reports to Lambda.
/// A ResponseURL that may not be answered, or an answer that could not be delivered, ends
/// without one: Lambda would run the whole work again for each retry of an asynchronous event.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// CDK mode: the provider framework answers CloudFormation FAILED with this reason.
    #[error("{0}")]
    Failed(String),
}

/// How the work in one invocation ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    Answered(Answer),
    /// Not finished when this invocation's time ran out.
    Pending {
        progress: Progress,
        account_id: Option<String>,
        note: String,
    },
}

/// Handles one custom-resource payload. Ok: the function's result (a short summary after a
/// ResponseURL answer or a hand-off; the framework's value in CDK mode). Err: a function error,
/// which the CDK framework answers FAILED with, and which makes Lambda retry an asynchronous
/// invocation whose answer could not be delivered.
pub async fn handle(
    clients: &Clients,
    payload: Value,
    deadline: Option<SystemTime>,
    invoked_function_arn: &str,
) -> Result<Value, FunctionError> {
    let echo = Echo::from_payload(&payload);
    let own = own_name(invoked_function_arn);
    let mode = if event::called_by_framework(&payload, own.as_deref()) {
        // onEvent's answer (progress included) is spread into every isComplete request.
        match payload.get(PROGRESS_KEY) {
            Some(_) => Mode::CdkIsComplete,
            None => Mode::CdkOnEvent,
        }
    } else {
        if let Err(e) = response_url::check(&echo.response_url) {
            // No work and no answer; no function error either, which would make Lambda deliver
            // the event twice more.
            error!(error = %e, "a custom-resource request without a usable ResponseURL is not answered");
            return Ok(json!({"answered": false, "reason": e.to_string()}));
        }
        Mode::ResponseUrl
    };
    let span = tracing::info_span!(
        "custom_resource",
        request_type = echo.request_type.as_str(),
        logical_resource_id = echo.logical_resource_id.as_str(),
        mode = ?mode,
    );
    async move {
        if mode == Mode::CdkIsComplete {
            // onEvent settled it: nothing to do, or a failure to raise (the framework then
            // answers FAILED with the PhysicalResourceId onEvent returned).
            match carried(&payload) {
                Some(Progress::Finished) => {
                    return Ok(answer::is_complete(Some((None, BTreeMap::new()))))
                }
                Some(Progress::Failed { reason }) => return Err(FunctionError::Failed(reason)),
                Some(Progress::Continue { .. }) | None => {}
            }
        }
        let outcome = work::guarded(clients, &payload, &echo, deadline).await;
        info!(outcome = ?outcome_name(&outcome), "worked");
        match mode {
            Mode::ResponseUrl => {
                url::answer(
                    clients,
                    &payload,
                    &echo,
                    outcome,
                    deadline,
                    invoked_function_arn,
                )
                .await
            }
            Mode::CdkOnEvent => cdk::on_event(outcome, &echo),
            Mode::CdkIsComplete => cdk::is_complete(outcome, &echo),
        }
    }
    .instrument(span)
    .await
}

/// This function's name: from the ARN it was invoked through, else from Lambda's environment
/// (emulators send no ARN).
fn own_name(invoked_function_arn: &str) -> Option<String> {
    match invoked_function_arn.starts_with("arn:") {
        true => event::function_name(invoked_function_arn).map(str::to_owned),
        false => std::env::var("AWS_LAMBDA_FUNCTION_NAME")
            .ok()
            .filter(|n| !n.is_empty()),
    }
}

/// The progress a CDK isComplete request carries, when it reads as one.
fn carried(payload: &Value) -> Option<Progress> {
    payload
        .get(PROGRESS_KEY)
        .and_then(|p| serde_json::from_value(p.clone()).ok())
}

fn outcome_name(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Answered(Answer::Success { .. }) => "success",
        Outcome::Answered(Answer::Failed { .. }) => "failed",
        Outcome::Pending { .. } => "pending",
    }
}
