//! The one way a write step runs, whichever door the request came through: the stage's action
//! (create, update or delete), bounded by the invocation's budget, with a retryable failure
//! turned into "the same stage again, later". The registry door answers IN_PROGRESS with the
//! result; the custom-resource door waits in the invocation or hands the stage to a later one.

use std::time::Duration;

use tracing::warn;

pub use crate::account::stages::{CallbackContext, Write};

use crate::account::stages::{Context, CreateStage, DeleteStage};
use crate::account::step::{Invocation, Step};
use crate::account::{create, delete, update};
use crate::aws::ownership::Acting;
use crate::vocab::error::{HandlerError, RetryClass};
use crate::vocab::model::{CreateAccountRequestId, ResourceModel};

/// Runs the stage in `context` once. `Err` only for a failure no retry can mend.
pub async fn advance(
    inv: &Invocation<'_>,
    context: &CallbackContext,
) -> Result<Step, HandlerError> {
    // The first call's properties are the only ones that carry the write-only values: pin them
    // into the stage before it runs, so that a retry or callback of it keeps them.
    let pinned = context
        .clone()
        .pinned(|| inv.desired().ok().map(|d| d.settings()));
    let context = &pinned;
    // A backstop one second past the budget: the actions stop within it themselves (create
    // turns a call cut off by the budget into a look for its own request).
    let backstop = inv.budget.remaining() + Duration::from_secs(1);
    let run = async {
        match context {
            CallbackContext::Create(c) => create::run(inv, c).await,
            CallbackContext::Update(c) => update::run(inv, c).await,
            CallbackContext::Delete(c) => delete::run(inv, c).await,
        }
    };
    let outcome = match tokio::time::timeout(backstop, run).await {
        Ok(outcome) => outcome,
        // Every step is safe to re-run, so a slow step is simply tried again.
        Err(_) => Err(HandlerError::retry(
            RetryClass::Transient,
            format!("step {} did not finish in time", context.stage_name()),
        )),
    };
    match outcome {
        Ok(step) => Ok(step),
        // Throttling, concurrent modification, transient faults: the same step again, later.
        Err(e) if e.retry_class().is_some() => {
            warn!(error = %e, "retryable; the same step again later");
            Ok(Step::retry(
                retry_model(inv, context),
                context.clone(),
                inv.seed,
                &e,
            ))
        }
        Err(e) => Err(e),
    }
}

/// The model a retried stage answers with: the one it came with, except that a create's ids go
/// out only once proven. They are kept when they came back in CloudFormation's own callback (the
/// caller's credentials act, and CloudFormation needs the primary identifier it was given), never
/// from a custom resource's carried progress, which anyone who may invoke the function can write.
fn retry_model(inv: &Invocation<'_>, context: &CallbackContext) -> ResourceModel {
    let mut model = inv.incoming_model().unwrap_or_default();
    match (context.write(), inv.org.acting()) {
        (Write::Create, Acting::Function) => {
            model.account_id = None;
            model.gov_cloud_account_id = None;
        }
        (Write::Create, Acting::Caller) | (Write::Update | Write::Delete, _) => {}
    }
    model
}

/// What a front door may ask of a write in progress, so that no door matches stages itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// A create that has requested nothing yet (its next step is CreateAccount): resuming it
    /// would request anew.
    NothingRequested,
    /// A create waiting for its creation request, which may make an account any moment.
    CreationInFlight(CreateAccountRequestId),
    /// Anything else.
    Underway,
}

/// Where the write at `context` stands.
pub fn standing(context: &CallbackContext) -> Standing {
    match context {
        CallbackContext::Create(Context { stage, .. }) => match stage {
            CreateStage::StartCreate { .. } => Standing::NothingRequested,
            CreateStage::AwaitCreation { request_id, .. } => {
                Standing::CreationInFlight(request_id.clone())
            }
            CreateStage::FindOwnRequest { .. }
            | CreateStage::PlaceAccount { .. }
            | CreateStage::SetContacts { .. }
            | CreateStage::ConvergeRegions { .. }
            | CreateStage::AwaitReady { .. }
            | CreateStage::ConfigureInside { .. }
            | CreateStage::DescribeCreated { .. } => Standing::Underway,
        },
        CallbackContext::Update(_) | CallbackContext::Delete(_) => Standing::Underway,
    }
}

/// The first stage of a delete whose resource names no account (its create answered before,
/// or without, an account): settle what that create may have started, `request_id` when known.
pub fn settle_creation(request_id: Option<CreateAccountRequestId>) -> CallbackContext {
    Context::new(DeleteStage::ResolveCreation { request_id }).into()
}
