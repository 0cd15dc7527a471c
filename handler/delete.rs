//! DELETE, by DeletionMode. Accounts are the most expensive thing a stack can lose, and a private
//! type cannot default to DeletionPolicy Retain (the registry meta-schema has no such key), so:
//! - REFUSE (the default): nothing changes in Organizations; the delete fails saying what would
//!   have happened, how to keep the account and how to opt in to closing. A rollback of a failed
//!   stack creation therefore never closes the accounts it had just created either.
//! - CLOSE: CloseAccount, then wait through callbacks until the account is no longer ACTIVE, so
//!   that a READ right after the delete says NotFound.
//! - REMOVE: RemoveAccountFromOrganization; Organizations' refusal (an account without the
//!   information a standalone account needs) is surfaced with what to do.

use crate::backoff::close_poll_delay;
use crate::context::{CallbackContext, Stage};
use crate::error::HandlerError;
use crate::model::{AccountId, DeletionMode, ResourceModel};
use crate::step::{Invocation, Step};
use crate::translate::{split_tags, AccountView};

pub async fn run(inv: &Invocation<'_>, ctx: &CallbackContext) -> Result<Step, HandlerError> {
    let model = inv.incoming_model()?;
    match &ctx.stage {
        Stage::StartDelete => start(inv, model).await,
        Stage::AwaitClosure { account_id } => await_closure(inv, ctx, account_id, model).await,
        Stage::StartCreate { .. }
        | Stage::FindOwnRequest { .. }
        | Stage::AwaitCreation { .. }
        | Stage::PlaceAccount { .. }
        | Stage::DescribeCreated { .. }
        | Stage::ApplyUpdate => Err(HandlerError::InvalidRequest(format!(
            "callbackContext.stage: {} does not belong to DELETE",
            ctx.stage.name()
        ))),
    }
}

async fn start(inv: &Invocation<'_>, model: ResourceModel) -> Result<Step, HandlerError> {
    let id = model.account_id()?;
    tracing::Span::current().record("account_id", id.as_str());
    let view = inv.org.describe_account(&id).await?;
    if !view.is_live() {
        return Err(HandlerError::NotFound(format!(
            "Account {id} is already {}; there is nothing to delete",
            view.lifecycle()
        )));
    }
    // The template's choice; when the model lacks it, the one recorded at the last write.
    let mode = match model.deletion_mode.as_deref() {
        Some(s) => DeletionMode::parse(s).ok_or_else(|| {
            HandlerError::InvalidRequest(format!(
                "DeletionMode: {s:?} is not one of REFUSE, CLOSE, REMOVE"
            ))
        })?,
        None => {
            let (_, book) = split_tags(&inv.org.tags_of(&id).await?);
            book.deletion
                .as_deref()
                .and_then(DeletionMode::parse)
                .unwrap_or(DeletionMode::Refuse)
        }
    };
    match mode {
        DeletionMode::Refuse => Err(HandlerError::InvalidRequest(refusal(inv, &view))),
        DeletionMode::Close => {
            match inv.org.close_account(&id).await {
                // A retried CloseAccount whose first answer was lost finds it closed already.
                Ok(()) | Err(HandlerError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
            Ok(Step::Continue {
                model,
                context: CallbackContext::new(Stage::AwaitClosure {
                    account_id: id.clone(),
                }),
                delay: close_poll_delay(0),
                message: format!("closing account {id}"),
            })
        }
        DeletionMode::Remove => {
            match inv.org.remove_from_organization(&id).await {
                // Gone already (a retry after a lost answer): removed.
                Ok(()) | Err(HandlerError::NotFound(_)) => Ok(Step::Deleted),
                Err(e) => Err(e),
            }
        }
    }
}

/// What the default refusal says: what would have happened, how to keep the account, how to
/// opt in. It names only this resource's own account.
fn refusal(inv: &Invocation<'_>, view: &AccountView) -> String {
    let logical = inv
        .request
        .logical_resource_id
        .as_deref()
        .unwrap_or("<LogicalId>");
    let stack = inv
        .request
        .stack_id
        .as_deref()
        .and_then(|s| s.split('/').nth(1))
        .unwrap_or("<stack>");
    format!(
        "DeletionMode is REFUSE (the default), so deleting this resource changes nothing in AWS Organizations: account {} ({}) stays {}. \
         With DeletionMode CLOSE it would be closed (a closed account keeps its e-mail address and counts against the organization's close quota); with REMOVE it would leave the organization. \
         To keep the account and finish the stack operation, add DeletionPolicy: Retain to {logical}, or, for a stack in DELETE_FAILED, run: aws cloudformation delete-stack --stack-name {stack} --retain-resources {logical}. \
         To close it instead, set DeletionMode: CLOSE on {logical}, update the stack, then delete again.",
        view.id,
        view.name.as_deref().unwrap_or("unnamed"),
        view.lifecycle(),
    )
}

async fn await_closure(
    inv: &Invocation<'_>,
    ctx: &CallbackContext,
    id: &AccountId,
    model: ResourceModel,
) -> Result<Step, HandlerError> {
    tracing::Span::current().record("account_id", id.as_str());
    match inv.org.describe_account(id).await {
        Ok(view) if view.is_live() => Ok(Step::Continue {
            model,
            context: ctx.again(),
            delay: close_poll_delay(ctx.attempt.saturating_add(1)),
            message: format!(
                "account {id} is still {}; waiting for the close to take effect",
                view.lifecycle()
            ),
        }),
        Ok(_) => Ok(Step::Deleted),
        // Gone from the organization altogether: deleted as well.
        Err(HandlerError::NotFound(_)) => Ok(Step::Deleted),
        Err(e) => Err(e),
    }
}
