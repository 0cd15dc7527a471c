//! READ: DescribeAccount, the parent (ListParents), every tag (ListTagsForResource) and the
//! alternate contacts, issued together: they are independent, and against AWS each is a round
//! trip of tens of milliseconds, so a READ takes about the slowest of them rather than their sum.
//! The Regions a model declares are read after, one GetRegionOptStatus each.

use crate::account::baseline;
use crate::account::step::Invocation;
use crate::vocab::error::HandlerError;
use crate::vocab::model::{AccountId, ResourceModel};
use crate::vocab::observed::{model_from, split_tags};

pub async fn run(inv: &Invocation<'_>) -> Result<ResourceModel, HandlerError> {
    let id = inv.incoming_model()?.account_id()?;
    describe(inv, &id).await
}

/// The full model of a live account; closed, suspended, pending-closure or unknown accounts are
/// NotFound. Contacts are the live ones (left out when the caller may not read them); Regions
/// only those the incoming model declares, as they stand.
pub async fn describe(inv: &Invocation<'_>, id: &AccountId) -> Result<ResourceModel, HandlerError> {
    tracing::Span::current().record("account_id", id.as_str());
    let org = &inv.org;
    let (view, parent, tags, contacts) = tokio::try_join!(
        org.describe_account(id),
        org.parent_of(id),
        org.tags_of(id),
        baseline::live_contacts(inv, id),
    )?;
    if !view.is_live() {
        return Err(HandlerError::NotFound(format!(
            "Account {id} is {} in the organization; it no longer exists as far as CloudFormation is concerned",
            view.lifecycle()
        )));
    }
    let (user_tags, book) = split_tags(&tags);
    let mut model = model_from(&view, &parent, &user_tags, &book);
    model.alternate_contacts = contacts;
    let declared = inv.incoming_model()?;
    if declared.enabled_regions.is_some() || declared.disabled_regions.is_some() {
        let (on, off) = baseline::live_regions(
            inv,
            id,
            declared.enabled_regions.as_deref().unwrap_or_default(),
            declared.disabled_regions.as_deref().unwrap_or_default(),
        )
        .await?;
        model.enabled_regions = declared.enabled_regions.as_ref().map(|_| on);
        model.disabled_regions = declared.disabled_regions.as_ref().map(|_| off);
    }
    Ok(model)
}
