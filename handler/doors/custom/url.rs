//! ResponseURL mode, as CloudFormation calls a custom resource: the answer is PUT to the
//! presigned URL, or, when the work outlasts the invocation, handed to a later invocation of the
//! same function (an asynchronous self-invoke carrying the progress).

use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use tokio::time::Instant;
use tracing::{error, info};

use crate::aws::clients::Clients;
use crate::aws::lambda::SelfInvoke;
use crate::aws::response_url;

use super::answer::{self, Answer};
use super::event::{Echo, PROGRESS_KEY};
use super::physical::physical_id;
use super::{FunctionError, Outcome};

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
pub(super) async fn answer(
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
