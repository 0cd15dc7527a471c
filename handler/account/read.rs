//! READ: the account as its ownership check just read it (DescribeAccount and every tag), with
//! its parent (ListParents) and alternate contacts, issued together: they are independent, and
//! against AWS each is a round trip of tens of milliseconds. The Regions a model declares are read
//! after, one GetRegionOptStatus each. Only a proven account is read in full (`&Owned`): what READ
//! returns leaves the function.

use crate::account::baseline;
use crate::account::step::Invocation;
use crate::aws::ownership::{Owned, Purpose};
use crate::vocab::error::HandlerError;
use crate::vocab::model::ResourceModel;
use crate::vocab::observed::model_from;

pub async fn run(inv: &Invocation<'_>) -> Result<ResourceModel, HandlerError> {
    let id = inv.incoming_model()?.account_id()?;
    let owned = inv.owned(&id, Purpose::Management).await?;
    describe(inv, &owned).await
}

/// The full model of a live account, as `owned` saw it; closed, suspended or pending-closure
/// accounts are NotFound. Contacts are the live ones (left out when the caller may not read
/// them); Regions only those the incoming model declares, as they stand.
pub async fn describe(inv: &Invocation<'_>, owned: &Owned) -> Result<ResourceModel, HandlerError> {
    let id = owned.id();
    tracing::Span::current().record("account_id", id.as_str());
    let view = owned.view();
    if !view.is_live() {
        return Err(HandlerError::NotFound(format!(
            "Account {id} is {} in the organization; it no longer exists as far as CloudFormation is concerned",
            view.lifecycle()
        )));
    }
    let (parent, contacts) = tokio::try_join!(
        inv.org.parent_of(owned),
        baseline::live_contacts(inv, owned),
    )?;
    let mut model = model_from(view, &parent, owned.user_tags(), owned.book());
    model.alternate_contacts = contacts;
    let declared = inv.incoming_model()?;
    if declared.enabled_regions.is_some() || declared.disabled_regions.is_some() {
        let (on, off) = baseline::live_regions(
            inv,
            owned,
            declared.enabled_regions.as_deref().unwrap_or_default(),
            declared.disabled_regions.as_deref().unwrap_or_default(),
        )
        .await?;
        model.enabled_regions = declared.enabled_regions.as_ref().map(|_| on);
        model.disabled_regions = declared.disabled_regions.as_ref().map(|_| off);
    }
    Ok(model)
}
