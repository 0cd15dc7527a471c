//! DELETE, by DeletionMode. Accounts are the most expensive thing a stack can lose, and a private
//! type cannot default to DeletionPolicy Retain (the registry meta-schema has no such key), so:
//! - REFUSE (the default): nothing changes in Organizations; the delete fails saying what would
//!   have happened, how to keep the account and how to opt in to closing. A rollback of a failed
//!   stack creation therefore never closes the accounts it had just created either.
//! - CLOSE: CloseAccount, then wait through callbacks until the account is no longer ACTIVE, so
//!   that a READ right after the delete says NotFound.
//! - REMOVE: RemoveAccountFromOrganization; Organizations' refusal (an account without the
//!   information a standalone account needs) is surfaced with what to do.

use crate::account::backoff::{close_poll_delay, create_poll_delay};
use crate::account::stages::{Context, DeleteStage};
use crate::account::step::{Invocation, Step};
use crate::aws::organizations::Closing;
use crate::aws::ownership::Purpose;
use crate::vocab::error::HandlerError;
use crate::vocab::model::{AccountId, CreateAccountRequestId, DeletionMode, ResourceModel};
use crate::vocab::observed::{AccountView, CreateState};

pub async fn run(inv: &Invocation<'_>, ctx: &Context<DeleteStage>) -> Result<Step, HandlerError> {
    let model = inv.incoming_model()?;
    match &ctx.stage {
        DeleteStage::ResolveCreation { request_id } => {
            resolve_creation(inv, ctx, request_id.as_ref(), model).await
        }
        DeleteStage::StartDelete => start(inv, model).await,
        DeleteStage::AwaitClosure { account_id } => {
            await_closure(inv, ctx, account_id, model).await
        }
    }
}

async fn start(inv: &Invocation<'_>, model: ResourceModel) -> Result<Step, HandlerError> {
    let id = model.account_id()?;
    tracing::Span::current().record("account_id", id.as_str());
    // The live record: the proof CloseAccount and RemoveAccountFromOrganization need, and the
    // DeletionMode the account's last write recorded.
    let owned = inv.owned(&id, Purpose::Management).await?;
    let view = owned.view();
    if !view.is_live() {
        return Err(HandlerError::NotFound(format!(
            "Account {id} is already {}; there is nothing to delete",
            view.lifecycle()
        )));
    }
    let asked = model
        .deletion_mode
        .as_deref()
        .map(DeletionMode::from_property)
        .transpose()?;
    let recorded = owned
        .book()
        .deletion
        .as_deref()
        .and_then(DeletionMode::parse);
    match mode_to_apply(asked, recorded) {
        Ok(DeletionMode::Refuse) => Err(HandlerError::InvalidRequest(refusal(inv, view))),
        Ok(DeletionMode::Close) => {
            match inv.org.close_account(&owned).await {
                Ok(Closing::Requested) => {}
                // A close already under way (another request, or this one's earlier call whose
                // answer was lost) is waited out like our own.
                Ok(Closing::AlreadyUnderWay) => {
                    tracing::info!("a close of this account is already under way; waiting for it")
                }
                // A retried CloseAccount whose first answer was lost finds it closed already.
                Err(HandlerError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
            Ok(Step::Continue {
                model,
                context: Context::new(DeleteStage::AwaitClosure {
                    account_id: id.clone(),
                })
                .into(),
                delay: close_poll_delay(0),
                message: format!("closing account {id}"),
            })
        }
        Ok(DeletionMode::Remove) => {
            match inv.org.remove_from_organization(&owned).await {
                // Gone already (a retry after a lost answer): removed.
                Ok(()) | Err(HandlerError::NotFound(_)) => Ok(Step::Deleted),
                Err(e) => Err(e),
            }
        }
        Err((asked, recorded)) => {
            let logical = inv
                .request
                .logical_resource_id
                .as_deref()
                .unwrap_or("<LogicalId>");
            Err(HandlerError::InvalidRequest(format!(
                "DeletionMode: this delete asks for {} but account {id}'s record says {} (the DeletionMode of the last successful create or update of this resource), and a delete never does more than the record allows; nothing was changed. To {} the account, set DeletionMode: {} on {logical}, update the stack, then delete again",
                asked.as_str(),
                recorded.as_str(),
                asked.as_str().to_lowercase(),
                asked.as_str(),
            )))
        }
    }
}

/// The DeletionMode a delete applies: the record's word bounds the request's. A request asking
/// for the same or less (REFUSE) gets it; one asking for another destructive mode than the
/// record's is refused (`Err((asked, recorded))`). Without a record (an imported account) the
/// template decides; with neither, REFUSE.
pub fn mode_to_apply(
    asked: Option<DeletionMode>,
    recorded: Option<DeletionMode>,
) -> Result<DeletionMode, (DeletionMode, DeletionMode)> {
    match (asked, recorded) {
        (Some(DeletionMode::Refuse), _) => Ok(DeletionMode::Refuse),
        (Some(a), Some(r)) if a == r => Ok(a),
        (Some(a), Some(r)) => Err((a, r)),
        (Some(a), None) => Ok(a),
        (None, Some(r)) => Ok(r),
        (None, None) => Ok(DeletionMode::Refuse),
    }
}

/// A Create answered before its creation request settled (or failed before making one), so
/// the PhysicalResourceId names no account. The request (`request_id`, or this account name's
/// newest one in flight) is waited for; then the account whose record names this declaration,
/// if any, is deleted by DeletionMode. An account made by anyone else is left alone.
async fn resolve_creation(
    inv: &Invocation<'_>,
    ctx: &Context<DeleteStage>,
    request_id: Option<&CreateAccountRequestId>,
    mut model: ResourceModel,
) -> Result<Step, HandlerError> {
    // Only a valid declaration reached CreateAccount: an invalid one made nothing, and its
    // rollback needs no call at all.
    let desired = match inv.desired() {
        Ok(d) => d,
        Err(e) => {
            tracing::info!(reason = %e, "the declaration never passed validation, so its Create made no account");
            return Ok(Step::Deleted);
        }
    };
    let request_id = match request_id {
        Some(id) => Some(id.clone()),
        None => inv
            .org
            .creations_in_progress()
            .await?
            .into_iter()
            .filter(|s| s.account_name.as_deref() == Some(desired.name.as_str()))
            .max_by_key(|s| s.requested_ms)
            .map(|s| s.request_id),
    };
    if let Some(request_id) = request_id {
        let status = match inv.org.describe_creation(&request_id).await {
            Ok(status) => Some(status),
            Err(HandlerError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        match status.map(|s| s.state) {
            Some(CreateState::InProgress) => {
                let polls = match &ctx.stage {
                    DeleteStage::ResolveCreation {
                        request_id: Some(r),
                    } if *r == request_id => ctx.attempt.saturating_add(1),
                    _ => 0,
                };
                return Ok(Step::Continue {
                    model,
                    delay: create_poll_delay(polls),
                    message: format!(
                        "creation request {request_id} is still in progress; waiting for it to settle before deleting what it makes"
                    ),
                    context: Context {
                        attempt: polls,
                        ..Context::new(DeleteStage::ResolveCreation {
                            request_id: Some(request_id),
                        })
                    }.into(),
                });
            }
            Some(CreateState::Succeeded { account_id, .. }) => {
                // A record not visible yet is waited for (a retryable error), never taken for
                // another's: that would leave this declaration's account behind.
                if let Err(other) = inv.check(&account_id, Purpose::Creation).await? {
                    tracing::info!(%account_id, record = %other.record, "the request made an account that is not this declaration's; nothing to delete");
                    return Ok(Step::Deleted);
                }
                tracing::info!(%account_id, "the unsettled creation made this account; deleting it by DeletionMode");
                model.account_id = Some(account_id.to_string());
                return start(inv, model).await;
            }
            // EMAIL_ALREADY_EXISTS: an earlier request of this declaration may own the address.
            Some(CreateState::Failed { reason })
                if reason == "EMAIL_ALREADY_EXISTS"
                    || reason == "GOVCLOUD_ACCOUNT_ALREADY_EXISTS" => {}
            Some(CreateState::Failed { .. }) | None => return Ok(Step::Deleted),
        }
    }
    // Nothing in flight: the creation may have settled already.
    for owner in inv.org.accounts_with_email(&desired.email).await? {
        if !owner.is_live() {
            continue;
        }
        if inv.check(&owner.id, Purpose::Creation).await?.is_ok() {
            tracing::info!(account_id = %owner.id, "this declaration's creation settled into this account; deleting it by DeletionMode");
            model.account_id = Some(owner.id.to_string());
            return start(inv, model).await;
        }
    }
    Ok(Step::Deleted)
}

/// What the default refusal says: what would have happened, how to keep the account, how to
/// opt in. It names only this resource's own account.
fn refusal(inv: &Invocation<'_>, view: &AccountView) -> String {
    let logical = inv
        .request
        .logical_resource_id
        .as_deref()
        .unwrap_or("<LogicalId>");
    let stack = inv.request.stack_name().unwrap_or("<stack>");
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
    ctx: &Context<DeleteStage>,
    id: &AccountId,
    model: ResourceModel,
) -> Result<Step, HandlerError> {
    tracing::Span::current().record("account_id", id.as_str());
    // The account a carried stage names is a hint: checked like any other before its state is
    // looked at (a closed account keeps its tags, the record among them).
    let checked = match inv.owned(id, Purpose::Management).await {
        Ok(owned) => Ok(owned.view().clone()),
        Err(e) => Err(e),
    };
    match checked {
        Ok(view) if view.is_live() => Ok(Step::Continue {
            model,
            context: ctx.again().into(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use DeletionMode::{Close, Refuse, Remove};

    #[test]
    fn a_delete_never_does_more_than_the_recorded_deletion_mode() {
        // (asked, recorded) -> applied, or refused naming both.
        for (asked, recorded, applied) in [
            (None, None, Ok(Refuse)),
            (None, Some(Close), Ok(Close)),
            (Some(Refuse), Some(Close), Ok(Refuse)),
            (Some(Close), Some(Close), Ok(Close)),
            (Some(Remove), Some(Remove), Ok(Remove)),
            // Imported accounts have no record: the template decides.
            (Some(Close), None, Ok(Close)),
            (Some(Close), Some(Refuse), Err((Close, Refuse))),
            (Some(Remove), Some(Refuse), Err((Remove, Refuse))),
            (Some(Close), Some(Remove), Err((Close, Remove))),
            (Some(Remove), Some(Close), Err((Remove, Close))),
        ] {
            assert_eq!(
                mode_to_apply(asked, recorded),
                applied,
                "{asked:?} over {recorded:?}"
            );
        }
    }
}
