//! What AWS would refuse only once an account exists, refused before anything is created or
//! changed (a create that fails after CreateAccount leaves an account the rollback must delete,
//! and with DeletionMode CLOSE spends the organization's close quota on it):
//! - a parent that does not exist (MoveAccount would fail after the creation);
//! - contacts or Regions without trusted access for account.amazonaws.com (every Account
//!   Management call on a member would be AccessDeniedException);
//! - a Region the partition does not have, and a Region enabled by default in DisabledRegions
//!   (which Regions exist and which are on by default is the same for every account, so the
//!   caller's own ListRegions tells, with no account needed).
//!
//! The contact fields' patterns are the schema's, checked with every other property.

use crate::account::baseline::ACCOUNT_SERVICE;
use crate::account::step::Invocation;
use crate::vocab::baseline::RegionStatus;
use crate::vocab::error::HandlerError;
use crate::vocab::model::{DesiredAccount, ParentId};

/// Checks `desired` against the organization before the first changing call. `parent` is the
/// parent the operation will move the account to, if any.
pub async fn check(
    inv: &Invocation<'_>,
    desired: &DesiredAccount,
    parent: Option<&ParentId>,
) -> Result<(), HandlerError> {
    if let Some(parent) = parent {
        check_parent(inv, parent).await?;
    }
    let contacts = desired.contacts.as_ref().is_some_and(|c| !c.is_empty());
    let regions = !desired.regions.is_empty();
    if contacts || regions {
        let services = inv.org.trusted_services().await?;
        if !services.iter().any(|s| s == ACCOUNT_SERVICE) {
            let what = match (contacts, regions) {
                (true, true) => "AlternateContacts and EnabledRegions/DisabledRegions need",
                (true, false) => "AlternateContacts needs",
                (false, _) => "EnabledRegions/DisabledRegions need",
            };
            return Err(HandlerError::InvalidRequest(format!(
                "{what} the Account Management API, which acts on member accounts only with trusted access for {ACCOUNT_SERVICE}, and the organization has not enabled it; nothing was created or changed. Enable it once from the management account with `aws organizations enable-aws-service-access --service-principal {ACCOUNT_SERVICE}` (the organization needs all features), then run the stack operation again; or remove those properties"
            )));
        }
    }
    if regions {
        let known = inv.account.partition_regions().await?;
        for (field, list, enable) in [
            ("EnabledRegions", &desired.regions.enabled, true),
            ("DisabledRegions", &desired.regions.disabled, false),
        ] {
            for region in list {
                match (known.get(region.as_str()), enable) {
                    (None, _) => {
                        return Err(HandlerError::InvalidRequest(format!(
                            "{field}: {region} is not a Region of this partition (ListRegions knows {} Regions: {}); nothing was created or changed",
                            known.len(),
                            known.keys().cloned().collect::<Vec<_>>().join(", ")
                        )))
                    }
                    (Some(RegionStatus::EnabledByDefault), false) => {
                        return Err(HandlerError::InvalidRequest(format!(
                            "DisabledRegions: {region} is enabled by default in every account and cannot be disabled (only opt-in Regions can); remove it from DisabledRegions. Nothing was created or changed"
                        )))
                    }
                    (Some(_), _) => {}
                }
            }
        }
    }
    Ok(())
}

async fn check_parent(inv: &Invocation<'_>, parent: &ParentId) -> Result<(), HandlerError> {
    if parent.is_root() {
        let root = inv.org.root_id().await?;
        if &root != parent {
            return Err(HandlerError::InvalidRequest(format!(
                "ParentIds: {parent} is not this organization's root ({root}); nothing was created or changed. Use {root}, an OU id, or leave ParentIds out"
            )));
        }
        return Ok(());
    }
    if !inv.org.ou_exists(parent).await? {
        return Err(HandlerError::InvalidRequest(format!(
            "ParentIds: {parent} is not an organizational unit of this organization (DescribeOrganizationalUnit: OrganizationalUnitNotFoundException); nothing was created or changed. Create the OU first or correct the id"
        )));
    }
    Ok(())
}
