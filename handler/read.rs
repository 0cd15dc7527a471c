//! READ: DescribeAccount, the parent (ListParents) and every tag (ListTagsForResource).

use crate::error::HandlerError;
use crate::model::{AccountId, ResourceModel};
use crate::org::Organizations;
use crate::step::Invocation;
use crate::translate::{self, split_tags};

pub async fn run(inv: &Invocation<'_>) -> Result<ResourceModel, HandlerError> {
    let id = inv.incoming_model()?.account_id()?;
    describe(&inv.org, &id).await
}

/// The full model of a live account; closed, suspended, pending-closure or unknown accounts are
/// NotFound.
pub async fn describe(org: &Organizations, id: &AccountId) -> Result<ResourceModel, HandlerError> {
    tracing::Span::current().record("account_id", id.as_str());
    let view = org.describe_account(id).await?;
    if !view.is_live() {
        return Err(HandlerError::NotFound(format!(
            "Account {id} is {} in the organization; it no longer exists as far as CloudFormation is concerned",
            view.lifecycle()
        )));
    }
    let parent = org.parent_of(id).await?;
    let tags = org.tags_of(id).await?;
    let (user_tags, book) = split_tags(&tags);
    Ok(translate::model_from(&view, &parent, &user_tags, &book))
}
