//! DELETE: CloseAccount, then wait through callbacks until the account is no longer ACTIVE, so
//! that a READ right after the delete says NotFound.

use crate::backoff::close_poll_delay;
use crate::context::{CallbackContext, Stage};
use crate::error::HandlerError;
use crate::model::AccountId;
use crate::step::{Invocation, Step};

pub async fn run(inv: &Invocation<'_>, ctx: &CallbackContext) -> Result<Step, HandlerError> {
    let model = inv.incoming_model()?;
    match &ctx.stage {
        Stage::CloseAccount => {
            let id = model.account_id()?;
            tracing::Span::current().record("account_id", id.as_str());
            let view = inv.org.describe_account(&id).await?;
            if !view.is_live() {
                return Err(HandlerError::NotFound(format!(
                    "Account {id} is already {}; there is nothing to delete",
                    view.lifecycle()
                )));
            }
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

async fn await_closure(
    inv: &Invocation<'_>,
    ctx: &CallbackContext,
    id: &AccountId,
    model: crate::model::ResourceModel,
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
