//! Routes one request to its action and turns the outcome into a ProgressEvent. The binary
//! never returns a Lambda error: a bad payload, a handler error, a timeout, even a panic inside
//! handler code become a FAILED (or, for a write step that can be re-run, IN_PROGRESS) event.

use std::time::{Duration, SystemTime};

use serde_json::Value;
use tracing::{field, info, warn, Instrument};

use crate::account::lifecycle::{self, Write};
use crate::account::stages::CallbackContext;
use crate::account::step::{Budget, Request};
use crate::account::{list, read};
use crate::aws::clients::Clients;
use crate::doors::logging;
use crate::doors::registry::protocol::{
    parse_request, Action, HandlerErrorCode, HandlerRequest, ProgressEvent, RequestError,
};
use crate::doors::registry::telemetry::{self, Delivery};
use crate::vocab::error::HandlerError;
use crate::vocab::model::ResourceModel;

use crate::account::step::{Invocation, Step};
use crate::vocab::identity::fnv1a;
pub use crate::vocab::identity::resource_identity;

/// A write invocation may use at most this long: CloudFormation allows 60 s for the first
/// invocation of a create, update or delete (and `cfn test` fails one that takes longer).
const WRITE_BUDGET: Duration = Duration::from_secs(55);
/// READ and LIST must answer within 30 s.
const READ_BUDGET: Duration = Duration::from_secs(25);

/// The answer to a body that was not JSON at all (`why`, as the runtime glue found it).
pub fn not_json(why: &str) -> ProgressEvent {
    let e = RequestError::Malformed(format!("request: {why}"));
    ProgressEvent::failed(e.code(), e.to_string())
}

/// Handles one payload with no Lambda deadline (the local driver, tests); the answer is always a
/// ProgressEvent.
pub async fn handle(clients: &Clients, payload: Value) -> ProgressEvent {
    handle_until(clients, payload, None).await
}

/// Handles one payload; `deadline` is the Lambda invocation's, which caps the time budget.
pub async fn handle_until(
    clients: &Clients,
    payload: Value,
    deadline: Option<SystemTime>,
) -> ProgressEvent {
    handle_with_lines(clients, payload, deadline).await.0
}

/// The same, also returning the log lines kept for the type owner's log group (exactly those
/// delivered when the request names one).
pub async fn handle_with_lines(
    clients: &Clients,
    payload: Value,
    deadline: Option<SystemTime>,
) -> (ProgressEvent, Vec<logging::Line>) {
    let clients = clients.clone();
    // A panic inside the task comes back as a JoinError instead of tearing down the runtime.
    let task = tokio::spawn(async move {
        let started = std::time::Instant::now();
        let ((event, delivery), lines) =
            logging::capturing(route(&clients, payload, deadline)).await;
        // The type owner's logs and metrics go before the answer, within a short bound.
        if let Some(delivery) = delivery {
            telemetry::deliver(&clients, delivery, &lines, &event, started.elapsed()).await;
        }
        (event, lines)
    });
    match task.await {
        Ok(answer) => answer,
        Err(e) => {
            let text = crate::doors::panic_text(e);
            warn!(error = %text, "handler task failed");
            (
                ProgressEvent::failed(HandlerErrorCode::InternalFailure, text),
                Vec::new(),
            )
        }
    }
}

/// The answer, and where the type owner's logs and metrics go when the request says.
async fn route(
    clients: &Clients,
    payload: Value,
    deadline: Option<SystemTime>,
) -> (ProgressEvent, Option<Delivery>) {
    let request = match parse_request(&payload) {
        Ok(r) => r,
        Err(e) => return (ProgressEvent::failed(e.code(), e.to_string()), None),
    };
    drop(payload);
    let action = match request.action() {
        Ok(a) => a,
        Err(e) => return (ProgressEvent::failed(e.code(), e.to_string()), None),
    };
    let delivery = Delivery::from_request(&request, action);
    let span = tracing::info_span!(
        "request",
        action = action.as_str(),
        logical_resource_id = request.logical_resource_id.as_deref().unwrap_or(""),
        stage = field::Empty,
        account_id = field::Empty,
    );
    let event = async move {
        let event = match action {
            Action::Create => write(clients, &request, deadline, Write::Create).await,
            Action::Update => write(clients, &request, deadline, Write::Update).await,
            Action::Delete => write(clients, &request, deadline, Write::Delete).await,
            Action::Read => {
                read_only(
                    clients,
                    &request,
                    deadline,
                    action,
                    async |inv: &Invocation<'_>| {
                        let model = read::run(inv).await?;
                        Ok(ProgressEvent::success(model.to_wire()))
                    },
                )
                .await
            }
            Action::List => {
                read_only(
                    clients,
                    &request,
                    deadline,
                    action,
                    async |inv: &Invocation<'_>| {
                        let (models, token) = list::run(inv).await?;
                        let models = models.iter().map(ResourceModel::to_wire).collect();
                        Ok(ProgressEvent::listed(models, token))
                    },
                )
                .await
            }
        };
        info!(
            status = ?event.status(),
            error_code = event.error_code().map(|c| format!("{c:?}")),
            delay = event.callback_delay_seconds(),
            "answered"
        );
        event
    }
    .instrument(span)
    .await;
    (event, delivery)
}

/// What the actions read of a registry request.
fn view(request: &HandlerRequest) -> Request {
    Request {
        stack_id: request.stack_id.clone(),
        logical_resource_id: request.logical_resource_id.clone(),
        resource_properties: request.resource_properties.clone(),
        previous_resource_properties: request.previous_resource_properties.clone(),
        stack_tags: request.stack_tags.clone(),
        previous_stack_tags: request.previous_stack_tags.clone(),
        rollback: request.rollback,
        next_token: request.next_token.clone(),
    }
}

/// Organizations as the caller (never the function's own role), for this request.
fn invocation<'a>(
    clients: &Clients,
    request: &HandlerRequest,
    view: &'a Request,
    budget: Budget,
) -> Result<Invocation<'a>, HandlerError> {
    let creds = request.caller_credentials()?;
    let seed = fnv1a(&[
        request.bearer_token.as_deref().unwrap_or(""),
        request.logical_resource_id.as_deref().unwrap_or(""),
    ]);
    Ok(Invocation::new(
        view,
        clients.for_caller(&creds, request.region.as_deref()),
        seed,
        budget,
    ))
}

/// Longest time one invocation may take: CloudFormation allows 60 s for writes, 30 s for reads.
fn budget_cap(action: Action) -> Duration {
    match action {
        Action::Create | Action::Update | Action::Delete => WRITE_BUDGET,
        Action::Read | Action::List => READ_BUDGET,
    }
}

/// One step of CREATE, UPDATE or DELETE, through the shared lifecycle.
async fn write(
    clients: &Clients,
    request: &HandlerRequest,
    deadline: Option<SystemTime>,
    write: Write,
) -> ProgressEvent {
    let context = match CallbackContext::from_request(write, request.callback_context.as_ref()) {
        Ok(c) => c,
        Err(e) => return failed(&e),
    };
    tracing::Span::current().record("stage", context.stage_name());
    let budget = Budget::new(WRITE_BUDGET, deadline);
    let view = view(request);
    let inv = match invocation(clients, request, &view, budget) {
        Ok(i) => i,
        Err(e) => return failed(&e),
    };
    info!(attempt = context.attempt(), "step");
    match lifecycle::advance(&inv, &context).await {
        Ok(step) => step_event(step),
        Err(e) => failed(&e),
    }
}

/// READ or LIST: `answer` builds the SUCCESS event.
async fn read_only(
    clients: &Clients,
    request: &HandlerRequest,
    deadline: Option<SystemTime>,
    action: Action,
    answer: impl AsyncFn(&Invocation<'_>) -> Result<ProgressEvent, HandlerError>,
) -> ProgressEvent {
    let budget = Budget::new(budget_cap(action), deadline);
    let view = view(request);
    let inv = match invocation(clients, request, &view, budget) {
        Ok(i) => i,
        Err(e) => return failed(&e),
    };
    match tokio::time::timeout(budget.remaining(), answer(&inv)).await {
        Ok(Ok(event)) => event,
        // READ and LIST never answer IN_PROGRESS: a retryable error fails with its code and
        // CloudFormation decides whether to call again.
        Ok(Err(e)) => failed(&e),
        Err(_) => ProgressEvent::failed(
            HandlerErrorCode::NetworkFailure,
            format!(
                "{} did not finish within {} seconds",
                action.as_str(),
                budget_cap(action).as_secs()
            ),
        ),
    }
}

fn step_event(step: Step) -> ProgressEvent {
    match step {
        Step::Done(model) => ProgressEvent::success(model.to_wire()),
        Step::Deleted => ProgressEvent::deleted(),
        // CloudFormation's rule, not the lifecycle's: a create whose model still lacks the
        // primary identifier after 60 seconds fails, so the user is told what happens then.
        Step::Continue {
            model,
            context: context @ CallbackContext::Create(_),
            delay,
            message,
        } if model.account_id.is_none() => ProgressEvent::in_progress(
            model.to_wire(),
            context.to_json(),
            delay,
            format!("{message}. {OUTLASTED}"),
        ),
        Step::Continue {
            model,
            context,
            delay,
            message,
        } => ProgressEvent::in_progress(model.to_wire(), context.to_json(), delay, message),
    }
}

/// Said while the AccountId is still unknown at the end of an invocation (README: "When a
/// creation outlasts CloudFormation's window").
const OUTLASTED: &str = "The AccountId is not known yet: CloudFormation needs it within 60 seconds and may fail this resource with 'Resource timed out waiting for creation of physical resource'. Organizations goes on creating the account; once it is done, run the same stack operation again (or delete the stack and create it again under the same name): this declaration adopts the account it started and never makes a second one";

fn failed(e: &HandlerError) -> ProgressEvent {
    ProgressEvent::failed(e.code(), e.to_string())
}
