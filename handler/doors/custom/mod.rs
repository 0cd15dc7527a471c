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

mod answer;
mod event;
mod physical;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tokio::time::Instant;
use tracing::{error, info, warn, Instrument};

use crate::account::lifecycle::{self, CallbackContext, Standing, Write};
use crate::account::step::{Budget, Invocation, Step};
use crate::aws::clients::Clients;
use crate::aws::lambda::SelfInvoke;
use crate::aws::response_url;
use crate::vocab::error::HandlerError;
use answer::{data, Answer};
use event::{Echo, Progress};
use physical::physical_id;

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

/// How long one invocation works before handing the rest to the next, unless the Lambda
/// deadline comes first: `CUSTOM_RESOURCE_INVOCATION_SECONDS`, default 840 (Lambda allows 900).
fn invocation_cap() -> Duration {
    let seconds = std::env::var("CUSTOM_RESOURCE_INVOCATION_SECONDS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(840);
    Duration::from_secs(seconds.clamp(1, 900))
}

/// Room kept for one more step (a poll and its read-back) before deciding to wait here.
const STEP: Duration = Duration::from_secs(5);

/// Whether a payload is a custom-resource request rather than a registry one.
pub fn recognise(payload: &Value) -> bool {
    payload.get("RequestType").is_some() && payload.get("action").is_none()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
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
enum Outcome {
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
        if mode == Mode::CdkIsComplete
            && matches!(payload.get(PROGRESS_KEY).map(finished), Some(true))
        {
            return Ok(answer::is_complete(Some((None, BTreeMap::new()))));
        }
        let outcome = guarded(clients, &payload, &echo, deadline).await;
        info!(outcome = ?outcome_name(&outcome), "worked");
        match mode {
            Mode::ResponseUrl => {
                answer_url(
                    clients,
                    &payload,
                    &echo,
                    outcome,
                    deadline,
                    invoked_function_arn,
                )
                .await
            }
            Mode::CdkOnEvent => match outcome {
                Outcome::Answered(Answer::Success { physical_id, data }) => {
                    Ok(answer::on_event(&physical_id, data, &Progress::Finished))
                }
                Outcome::Answered(Answer::Failed { reason, .. }) => {
                    Err(FunctionError::Failed(reason))
                }
                // Never a failure while a creation may be in flight: the framework would answer
                // with its CREATE_FAILED marker and skip the rollback Delete, leaving the account
                // to no stack. The pending id goes out instead, isComplete goes on from the
                // progress, and a timeout's rollback Delete can settle the request.
                // Nothing was requested yet (no creation slot freed, or the last request
                // failed and must be made again): isComplete would request again each time it
                // resumed from here, so this is a failure, and nothing was created.
                Outcome::Pending {
                    progress,
                    account_id: None,
                    note,
                } if echo.request_type == "Create"
                    && progress.standing() == Some(Standing::NothingRequested) =>
                {
                    Err(FunctionError::Failed(format!(
                        "NotStabilized: no account creation could be started within this \
                         onEvent invocation, so nothing was created; deploy again (or give the \
                         onEvent function a longer timeout). Last: {note}"
                    )))
                }
                Outcome::Pending {
                    progress,
                    account_id,
                    ..
                } => {
                    let physical =
                        physical_id(&echo, account_id.as_deref(), progress.standing().as_ref());
                    Ok(answer::on_event(&physical, BTreeMap::new(), &progress))
                }
            },
            Mode::CdkIsComplete => match outcome {
                Outcome::Answered(Answer::Success { physical_id, data }) => {
                    let created = (echo.request_type == "Create").then_some(physical_id.as_str());
                    Ok(answer::is_complete(Some((created, data))))
                }
                Outcome::Answered(Answer::Failed { reason, .. }) => {
                    Err(FunctionError::Failed(reason))
                }
                Outcome::Pending { .. } => Ok(answer::is_complete(None)),
            },
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

fn finished(progress: &Value) -> bool {
    matches!(
        serde_json::from_value::<Progress>(progress.clone()),
        Ok(Progress::Finished)
    )
}

fn outcome_name(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Answered(Answer::Success { .. }) => "success",
        Outcome::Answered(Answer::Failed { .. }) => "failed",
        Outcome::Pending { .. } => "pending",
    }
}

/// The work in its own task, so that a panic becomes a FAILED answer, and bounded, so that a
/// stuck call still leaves time to answer.
async fn guarded(
    clients: &Clients,
    payload: &Value,
    echo: &Echo,
    deadline: Option<SystemTime>,
) -> Outcome {
    let budget_cap = invocation_cap();
    // Past the lifecycle's own backstop (budget + 1 s), so that a step cut off there is handed on.
    let backstop = Budget::new(budget_cap, deadline).remaining() + Duration::from_secs(2);
    let task = tokio::spawn({
        let clients = clients.clone();
        let payload = payload.clone();
        let echo = echo.clone();
        async move { work(&clients, &payload, &echo, budget_cap, deadline).await }
            .instrument(tracing::Span::current())
    });
    let abort = task.abort_handle();
    let failed = |reason: String| {
        Outcome::Answered(Answer::Failed {
            physical_id: physical_id(echo, None, None),
            reason,
        })
    };
    match tokio::time::timeout(backstop, task).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => {
            let text = crate::doors::panic_text(e);
            warn!(error = %text, "handler task failed");
            failed(format!("InternalFailure: {text}"))
        }
        Err(_) => {
            abort.abort();
            failed(format!(
                "InternalFailure: a step did not finish within this invocation ({} s); every step \
                 is safe to run again, so retrying the stack operation is safe",
                backstop.as_secs()
            ))
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What remains of the resource's ServiceTimeout (less a margin to answer in), from `started`.
fn service_left(started: u64, timeout: Duration) -> Duration {
    let margin = (timeout / 10).clamp(Duration::from_secs(2), Duration::from_secs(30));
    // A ServiceTimeout shorter than the margin leaves nothing (never an overflow).
    let end = started.saturating_add(timeout.saturating_sub(margin).as_secs());
    Duration::from_secs(end.saturating_sub(now_secs()))
}

async fn work(
    clients: &Clients,
    payload: &Value,
    echo: &Echo,
    cap: Duration,
    deadline: Option<SystemTime>,
) -> Outcome {
    // The id CloudFormation knows, for answers that keep it (and a request too malformed to
    // say what it is).
    let unchanged = physical_id(echo, None, None);
    let req = match event::parse(payload) {
        Ok(r) => r,
        Err(e) => return Outcome::Answered(failed(unchanged, &e)),
    };
    let (mut context, started, handoffs) = match &req.progress {
        Some(Progress::Continue {
            context,
            started,
            handoffs,
            ..
        }) => (context.clone(), *started, *handoffs),
        Some(Progress::Finished) | None => (req.first_stage(), now_secs(), 0),
    };
    if let (Write::Update, None) = (req.write, &req.account_id) {
        return Outcome::Answered(failed(
            unchanged.clone(),
            &HandlerError::InvalidRequest(format!(
                "PhysicalResourceId: {unchanged} is not an AccountId (12 digits); this resource \
                 never created an account, so there is nothing to update"
            )),
        ));
    }
    let budget = Budget::new(
        cap.min(service_left(started, req.service_timeout)),
        deadline,
    );
    let services = clients.for_function();
    let mut view = req.view.clone();
    let mut account_id = req.account_id.as_ref().map(|a| a.as_str().to_owned());
    // A Create without its AccountId yet answers with the request in flight, if any, so that
    // its rollback Delete can settle it (no account is left that no stack knows).
    let physical = |account_id: &Option<String>, context: &CallbackContext| {
        physical_id(
            echo,
            account_id.as_deref(),
            Some(&lifecycle::standing(context)),
        )
    };
    loop {
        let inv = Invocation::new(&view, services.clone(), req.seed, budget);
        tracing::info!(
            stage = context.stage_name(),
            attempt = context.attempt(),
            "step"
        );
        match lifecycle::advance(&inv, &context).await {
            Ok(Step::Done(model)) => {
                let id = model.account_id.clone().or(account_id);
                return Outcome::Answered(Answer::Success {
                    physical_id: physical(&id, &context),
                    data: data(&model),
                });
            }
            Ok(Step::Deleted) => {
                return Outcome::Answered(Answer::Success {
                    physical_id: unchanged,
                    data: BTreeMap::new(),
                })
            }
            Ok(Step::Continue {
                model,
                context: next,
                delay,
                message,
            }) => {
                account_id = model.account_id.clone().or(account_id);
                let wait = Duration::from_secs(delay.into());
                if service_left(started, req.service_timeout) <= wait + STEP {
                    return Outcome::Answered(Answer::Failed {
                        physical_id: physical(&account_id, &next),
                        reason: format!(
                            "NotStabilized: the resource's ServiceTimeout ({} s) is nearly spent \
                             after {handoffs} hand-off(s); last: {message}",
                            req.service_timeout.as_secs()
                        ),
                    });
                }
                view.resource_properties =
                    Some(serde_json::to_value(&model).unwrap_or(Value::Null));
                context = next;
                if budget.allows(wait, STEP) {
                    info!(delay, %message, "waiting in this invocation");
                    tokio::time::sleep(wait).await;
                    continue;
                }
                return Outcome::Pending {
                    progress: Progress::Continue {
                        context,
                        model: view.resource_properties.take().unwrap_or(Value::Null),
                        started,
                        handoffs: handoffs + 1,
                    },
                    account_id,
                    note: message,
                };
            }
            // An account already closed or gone is what a Delete wants.
            Err(HandlerError::NotFound(message)) if req.write == Write::Delete => {
                info!(%message, "nothing left to delete");
                return Outcome::Answered(Answer::Success {
                    physical_id: unchanged,
                    data: BTreeMap::new(),
                });
            }
            Err(e) => return Outcome::Answered(failed(physical(&account_id, &context), &e)),
        }
    }
}

/// FAILED with the registry type's code and message.
fn failed(physical_id: String, e: &HandlerError) -> Answer {
    Answer::Failed {
        physical_id,
        reason: format!("{:?}: {e}", e.code()),
    }
}

/// The time left to deliver an answer: until just before the Lambda deadline.
fn delivery_deadline(deadline: Option<SystemTime>) -> Instant {
    let left = deadline
        .and_then(|d| d.duration_since(SystemTime::now()).ok())
        .map(|d| d.saturating_sub(Duration::from_millis(500)))
        .unwrap_or(Duration::from_secs(30));
    Instant::now() + left
}

/// ResponseURL mode: answer, or hand the rest to a later invocation (answering FAILED if that
/// cannot be done).
async fn answer_url(
    clients: &Clients,
    payload: &Value,
    echo: &Echo,
    outcome: Outcome,
    deadline: Option<SystemTime>,
    invoked_function_arn: &str,
) -> Result<Value, FunctionError> {
    let answer = match outcome {
        Outcome::Answered(answer) => answer,
        Outcome::Pending {
            progress,
            account_id,
            note,
        } => {
            let mut next = payload.clone();
            if let Some(obj) = next.as_object_mut() {
                obj.insert(
                    PROGRESS_KEY.into(),
                    serde_json::to_value(&progress).unwrap_or(Value::Null),
                );
            }
            let handed = match SelfInvoke::new(clients, invoked_function_arn) {
                Ok(lambda) => lambda.hand_off(&next).await,
                Err(e) => Err(e),
            };
            match handed {
                Ok(()) => {
                    info!(%note, "continues in a later invocation");
                    return Ok(json!({"continued": true}));
                }
                Err(e) => {
                    error!(error = %e, "could not hand the wait to a later invocation");
                    Answer::Failed {
                        physical_id: physical_id(
                            echo,
                            account_id.as_deref(),
                            progress.standing().as_ref(),
                        ),
                        reason: format!(
                            "InternalFailure: the work outlasted this invocation and could not \
                             continue in a later one ({e}); the function's role needs \
                             lambda:InvokeFunction on itself. Last: {note}"
                        ),
                    }
                }
            }
        }
    };
    let body = answer::body(echo, &answer);
    match response_url::put(&echo.response_url, body, delivery_deadline(deadline)).await {
        Ok(()) => Ok(
            json!({"answered": outcome_status(&answer), "physicalResourceId": answer.physical_id()}),
        ),
        Err(e) => {
            error!(error = %e, "the answer could not be delivered to ResponseURL; giving up");
            Ok(json!({"answered": false, "reason": e.to_string()}))
        }
    }
}

fn outcome_status(answer: &Answer) -> &'static str {
    match answer {
        Answer::Success { .. } => "SUCCESS",
        Answer::Failed { .. } => "FAILED",
    }
}
