//! READ: DescribeAccount, the parent (ListParents) and every tag (ListTagsForResource), issued
//! together: they are independent, and against AWS each is a round trip of tens of
//! milliseconds, so a READ takes about the slowest of them rather than their sum.

use crate::account::step::Invocation;
use crate::aws::organizations::Organizations;
use crate::vocab::error::HandlerError;
use crate::vocab::model::{AccountId, ResourceModel};
use crate::vocab::observed::{model_from, split_tags};

pub async fn run(inv: &Invocation<'_>) -> Result<ResourceModel, HandlerError> {
    let id = inv.incoming_model()?.account_id()?;
    describe(&inv.org, &id).await
}

/// The full model of a live account; closed, suspended, pending-closure or unknown accounts are
/// NotFound.
pub async fn describe(org: &Organizations, id: &AccountId) -> Result<ResourceModel, HandlerError> {
    tracing::Span::current().record("account_id", id.as_str());
    let (view, parent, tags) =
        tokio::try_join!(org.describe_account(id), org.parent_of(id), org.tags_of(id))?;
    if !view.is_live() {
        return Err(HandlerError::NotFound(format!(
            "Account {id} is {} in the organization; it no longer exists as far as CloudFormation is concerned",
            view.lifecycle()
        )));
    }
    let (user_tags, book) = split_tags(&tags);
    Ok(model_from(&view, &parent, &user_tags, &book))
}
