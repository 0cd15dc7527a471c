//! The work of one invocation: the lifecycle's steps, run in a task of their own (a panic becomes
//! a FAILED answer) and bounded (a stuck call still leaves time to answer), waiting inside the
//! invocation while its time and the resource's ServiceTimeout allow, then handing the rest on.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tracing::{info, warn, Instrument};

use crate::account::lifecycle::{self, CallbackContext, Write};
use crate::account::step::{Budget, Invocation, Step};
use crate::aws::clients::Clients;
use crate::vocab::error::HandlerError;

use super::answer::{data, Answer};
use super::event::{self, Echo, Progress};
use super::physical::physical_id;
use super::Outcome;

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

/// The work in its own task, so that a panic becomes a FAILED answer, and bounded, so that a
/// stuck call still leaves time to answer.
pub(super) async fn guarded(
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
        Some(Progress::Finished | Progress::Failed { .. }) | None => {
            (req.first_stage(), now_secs(), 0)
        }
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
                // The delay is a callback's (the registry's loop cannot call back sooner than a
                // second); here a step that moves on to the next stage goes on at once, and only
                // a poll or a retry of the same stage waits. (A CDK isComplete pass resumes from
                // onEvent's stage each time, so a second spent per stage could leave no pass
                // enough time to reach the end.)
                let wait = match next.stage_name() == context.stage_name() {
                    true => Duration::from_secs(delay.into()),
                    false => Duration::ZERO,
                };
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
                    info!(wait_s = wait.as_secs(), %message, "going on in this invocation");
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
