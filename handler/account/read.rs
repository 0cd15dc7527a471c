//! READ: the account as its ownership check reads it (DescribeAccount and every tag), with its
//! parent (ListParents) and alternate contacts read alongside, all issued together: they are
//! independent, and against AWS each is a round trip of tens of milliseconds, so a READ takes
//! about the slowest of them rather than their sum. The Regions a model declares are read after,
//! one GetRegionOptStatus each, and the parent's path when the model declares ParentPath. What
//! READ returns leaves the function, so the reads come back
//! only with the proof (`ownership::prove_reading`).

use crate::account::step::Invocation;
use crate::account::{baseline, parent};
use crate::aws::ownership::Purpose;
use crate::vocab::error::HandlerError;
use crate::vocab::model::{AccountId, ResourceModel};
use crate::vocab::observed::model_from;

pub async fn run(inv: &Invocation<'_>) -> Result<ResourceModel, HandlerError> {
    let id = inv.incoming_model()?.account_id()?;
    describe(inv, &id, Purpose::Management).await
}

/// The full model of a live account, proven for `purpose`; closed, suspended or pending-closure
/// accounts are NotFound. Contacts are the live ones (left out when the caller may not read
/// them); Regions only those the incoming model declares, as they stand.
pub async fn describe(
    inv: &Invocation<'_>,
    id: &AccountId,
    purpose: Purpose,
) -> Result<ResourceModel, HandlerError> {
    tracing::Span::current().record("account_id", id.as_str());
    let declared = inv.incoming_model()?;
    let enabled = declared.enabled_regions.clone();
    let disabled = declared.disabled_regions.clone();
    // The parent as a path too when the model names it so (a template declaring ParentPath, its
    // drift check): a walk up the OUs, which a template by id does not pay for.
    let by_path = declared.parent_path.is_some();
    let (owned, (parent, path, contacts, regions)) = inv
        .owned_reading(id, purpose, |account| async move {
            let (parent, contacts) = tokio::try_join!(
                inv.org.parent_of(&account),
                baseline::live_contacts(inv, &account),
            )?;
            let path = match by_path {
                true => Some(parent::path_of(inv, &parent).await?),
                false => None,
            };
            let regions = match (&enabled, &disabled) {
                (None, None) => None,
                _ => Some(
                    baseline::live_regions(
                        inv,
                        &account,
                        enabled.as_deref().unwrap_or_default(),
                        disabled.as_deref().unwrap_or_default(),
                    )
                    .await?,
                ),
            };
            Ok((parent, path, contacts, regions))
        })
        .await?;
    let view = owned.view();
    if !view.is_live() {
        return Err(HandlerError::NotFound(format!(
            "Account {id} is {} in the organization; it no longer exists as far as CloudFormation is concerned",
            view.lifecycle()
        )));
    }
    let mut model = model_from(view, &parent, owned.user_tags(), owned.book());
    model.parent_path = path.map(|p| p.to_string());
    model.alternate_contacts = contacts;
    if let Some((on, off)) = regions {
        model.enabled_regions = declared.enabled_regions.as_ref().map(|_| on);
        model.disabled_regions = declared.disabled_regions.as_ref().map(|_| off);
    }
    Ok(model)
}
