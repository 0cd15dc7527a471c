//! The CDK provider framework's two calls, answered by the function's result (the framework
//! PUTs CloudFormation's answer itself): onEvent starts the work, isComplete goes on from the
//! progress onEvent returned, which the framework spreads into every isComplete request.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::account::lifecycle::Standing;

use super::answer::{self, Answer};
use super::event::{Echo, Progress};
use super::physical::{self, physical_id};
use super::{FunctionError, Outcome};

/// onEvent's result for how the work ended.
pub(super) fn on_event(outcome: Outcome, echo: &Echo) -> Result<Value, FunctionError> {
    match outcome {
        Outcome::Answered(Answer::Success { physical_id, data }) => {
            Ok(answer::on_event(&physical_id, data, &Progress::Finished))
        }
        // A create that failed after its account exists (a move, a contact, the readiness wait)
        // must name it: a function error here would make the framework answer with its
        // CREATE_FAILED marker and answer the rollback Delete itself, so the account would be in
        // no stack and its DeletionMode never applied. onEvent answers with the AccountId (or
        // the creation request in flight) and isComplete raises the failure.
        Outcome::Answered(Answer::Failed {
            physical_id,
            reason,
        }) if echo.request_type == "Create" && physical::names_something(&physical_id) => Ok(
            answer::on_event(&physical_id, BTreeMap::new(), &Progress::Failed { reason }),
        ),
        Outcome::Answered(Answer::Failed { reason, .. }) => Err(FunctionError::Failed(reason)),
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
            let physical = physical_id(echo, account_id.as_deref(), progress.standing().as_ref());
            Ok(answer::on_event(&physical, BTreeMap::new(), &progress))
        }
    }
}

/// isComplete's result for how the work ended.
pub(super) fn is_complete(outcome: Outcome, echo: &Echo) -> Result<Value, FunctionError> {
    match outcome {
        Outcome::Answered(Answer::Success { physical_id, data }) => {
            let created = (echo.request_type == "Create").then_some(physical_id.as_str());
            Ok(answer::is_complete(Some((created, data))))
        }
        Outcome::Answered(Answer::Failed { reason, .. }) => Err(FunctionError::Failed(reason)),
        Outcome::Pending { .. } => Ok(answer::is_complete(None)),
    }
}
