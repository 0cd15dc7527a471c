//! READ: the account as its ownership check reads it (DescribeAccount and every tag), with its
//! parent (ListParents) and alternate contacts read alongside, all issued together: they are
//! independent, and against AWS each is a round trip of tens of milliseconds, so a READ takes
//! about the slowest of them rather than their sum. The Regions a model declares are read after,
//! one GetRegionOptStatus each, and the parent's path when the model declares ParentPath. The
//! in-account properties a model names are read as the account (its role assumed), every
//! enabled Region side by side. What
//! READ returns leaves the function, so the reads come back
//! only with the proof (`ownership::prove_reading`).

use crate::account::step::Invocation;
use crate::account::{baseline, inside, parent};
use crate::aws::ownership::Purpose;
use crate::aws::sts::Assumed;
use crate::vocab::error::HandlerError;
use crate::vocab::model::{AccountId, ResourceModel, DEFAULT_ROLE_NAME};
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
    // Inside the account only for what the model names: it needs the account's role (the one
    // its record says it was created with, else the model's or the default).
    let named = declared.named_inside();
    let inside = match named.any() {
        true => {
            let role = owned
                .book()
                .role_name
                .clone()
                .or_else(|| declared.role_name.clone())
                .unwrap_or_else(|| DEFAULT_ROLE_NAME.to_owned());
            let partition = baseline::partition_of(view.arn.as_deref());
            match inv.sts.assume(partition, &owned, &role).await? {
                Assumed::Session(session) => Some(inside::live(&session, named).await?),
                Assumed::NotYet(why) => {
                    return Err(HandlerError::AccessDenied(format!(
                        "Account {id}: its role {role} could not be assumed to read it inside ({why}); the caller needs sts:AssumeRole on arn:{partition}:iam::{id}:role/{role}"
                    )))
                }
            }
        }
        false => None,
    };
    let mut model = model_from(view, &parent, owned.user_tags(), owned.book());
    if let Some(inside) = inside {
        model.delete_default_vpcs = inside.default_vpcs_deleted;
        model.account_alias = inside.alias.flatten();
        model.ebs_encryption_by_default = inside.ebs_encryption;
        model.s3_block_public_access = inside.block_public_access;
    }
    model.parent_path = path.map(|p| p.to_string());
    model.alternate_contacts = contacts;
    if let Some((on, off)) = regions {
        model.enabled_regions = declared.enabled_regions.as_ref().map(|_| on);
        model.disabled_regions = declared.disabled_regions.as_ref().map(|_| off);
    }
    Ok(model)
}
