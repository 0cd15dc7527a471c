//! The account's baseline, shared by CREATE and UPDATE: alternate contacts, opt-in Regions, and
//! (CREATE only) the wait until a new account can be used. Every step is safe to run again:
//! PutAlternateContact replaces a contact whole, a Region is requested only when its status says
//! it is not on its way, and the readiness check changes nothing.

use std::time::Duration;

use crate::account::step::Invocation;
use crate::aws::ownership::{Owned, Readable};
use crate::vocab::baseline::{
    AlternateContacts, Contact, ContactType, DeclaredRegions, RegionName, RegionStatus,
};
use crate::vocab::error::HandlerError;

/// The service principal whose trusted access the Account Management API needs.
pub const ACCOUNT_SERVICE: &str = "account.amazonaws.com";

/// At most this many Region opt requests run at once per account (Account Management quotas).
const MAX_REGION_REQUESTS: usize = 6;
/// EnableRegion and DisableRegion take one request per second per account (quotas).
const REGION_REQUEST_SPACING: Duration = Duration::from_millis(1100);

/// Puts every declared contact that is not already as declared (PutAlternateContact replaces
/// it whole) and deletes the kinds in `removed` (those the previous
/// template declared and this one does not) that still hold what it declared; one already gone
/// is fine.
pub async fn apply_contacts(
    inv: &Invocation<'_>,
    owned: &Owned,
    desired: &AlternateContacts,
    removed: &[(ContactType, Contact)],
) -> Result<(), HandlerError> {
    for kind in ContactType::ALL {
        let Some(contact) = desired.get(kind) else {
            continue;
        };
        // Read first: a stage run again (a callback re-delivered, each CDK isComplete resuming
        // from onEvent's stage) changes nothing that is already as declared.
        if inv.account.contact(owned, kind).await?.as_ref() == Some(contact) {
            continue;
        }
        inv.account.put_contact(owned, kind, contact).await?;
    }
    for (kind, was) in removed {
        // Only while it is still what the previous template declared.
        if inv.account.contact(owned, *kind).await?.as_ref() == Some(was) {
            inv.account.delete_contact(owned, *kind).await?;
        }
    }
    Ok(())
}

/// The live alternate contacts, or None when the account has none or the caller may not read
/// them: READ reports contacts for drift detection and import, but an account whose template
/// never declared any needs no `account:` permission nor trusted access (AWS answers both with
/// AccessDeniedException).
pub async fn live_contacts(
    inv: &Invocation<'_>,
    owned: &impl Readable,
) -> Result<Option<AlternateContacts>, HandlerError> {
    let (billing, operations, security) = tokio::join!(
        inv.account.contact(owned, ContactType::Billing),
        inv.account.contact(owned, ContactType::Operations),
        inv.account.contact(owned, ContactType::Security),
    );
    let mut contacts = AlternateContacts::default();
    for (kind, answer) in [
        (ContactType::Billing, billing),
        (ContactType::Operations, operations),
        (ContactType::Security, security),
    ] {
        match answer {
            Ok(contact) => contacts.set(kind, contact),
            Err(HandlerError::AccessDenied(why)) => {
                tracing::info!(reason = %why, "alternate contacts not readable by this caller; READ leaves them out");
                return Ok(None);
            }
            Err(e) => return Err(e),
        }
    }
    Ok((!contacts.is_empty()).then_some(contacts))
}

/// Where the declared Regions stand after one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regions {
    /// Every declared Region is where the template wants it.
    Settled,
    /// Some are on their way (or waiting for a slot): what is pending, to say so.
    Pending(String),
}

/// One pass over the declared Regions: reads each status, requests what is not on its way
/// (at most six opt requests at once, one per second), and says whether all have arrived.
/// Nothing outside DisabledRegions is ever disabled.
pub async fn converge_regions(
    inv: &Invocation<'_>,
    owned: &Owned,
    declared: &DeclaredRegions,
) -> Result<Regions, HandlerError> {
    let mut statuses = Vec::new();
    for (region, enable) in declared
        .enabled
        .iter()
        .map(|r| (r, true))
        .chain(declared.disabled.iter().map(|r| (r, false)))
    {
        statuses.push((
            region,
            enable,
            inv.account.region_status(owned, region).await?,
        ));
    }
    // Every opt request under way for the account counts against its 6, declared or not.
    let mut in_flight = inv.account.regions_in_flight(owned).await?;
    let mut requested_any = false;
    let mut pending = Vec::new();
    for (region, enable, status) in statuses {
        let request = match (enable, status) {
            (true, RegionStatus::Enabled | RegionStatus::EnabledByDefault) => None,
            (false, RegionStatus::Disabled) => None,
            (false, RegionStatus::EnabledByDefault) => {
                return Err(HandlerError::InvalidRequest(format!(
                    "DisabledRegions: {region} is enabled by default in every account and cannot be disabled; remove it from DisabledRegions"
                )))
            }
            (true, RegionStatus::Disabled) => Some(true),
            (false, RegionStatus::Enabled) => Some(false),
            // On its way, or the opposite transition must end first.
            (_, RegionStatus::Enabling | RegionStatus::Disabling) => {
                pending.push(format!("{region} {}", status.as_api()));
                None
            }
        };
        let Some(enable) = request else { continue };
        if in_flight >= MAX_REGION_REQUESTS {
            pending.push(format!(
                "{region} waiting for one of {MAX_REGION_REQUESTS} opt request slots"
            ));
            continue;
        }
        if requested_any {
            tokio::time::sleep(REGION_REQUEST_SPACING).await;
        }
        let asked = match enable {
            true => inv.account.enable_region(owned, region).await,
            false => inv.account.disable_region(owned, region).await,
        };
        if let Err(e) = asked {
            // An answer lost after the service acted comes back, when the SDK tries again, as a
            // refusal ("already ENABLING"): the status says whether the request took.
            if e.retry_class().is_some()
                || !took(enable, inv.account.region_status(owned, region).await?)
            {
                return Err(e);
            }
            tracing::info!(%region, error = %e, "the opt request was refused, but the Region is on its way: taken as requested");
        }
        pending.push(format!(
            "{region} {} (requested)",
            if enable { "ENABLING" } else { "DISABLING" }
        ));
        requested_any = true;
        in_flight += 1;
    }
    Ok(match pending.is_empty() {
        true => Regions::Settled,
        false => Regions::Pending(pending.join(", ")),
    })
}

/// Whether a Region's status shows an opt request in that direction took.
fn took(enable: bool, status: RegionStatus) -> bool {
    match (enable, status) {
        (true, RegionStatus::Enabling | RegionStatus::Enabled | RegionStatus::EnabledByDefault) => {
            true
        }
        (false, RegionStatus::Disabling | RegionStatus::Disabled) => true,
        (true, RegionStatus::Disabled | RegionStatus::Disabling)
        | (
            false,
            RegionStatus::Enabled | RegionStatus::Enabling | RegionStatus::EnabledByDefault,
        ) => false,
    }
}

/// The live state of the Regions a model declares, as READ reports them: the declared enabled
/// Regions that are enabled (or on their way), the declared disabled ones that are disabled (or
/// on their way). A Region changed by hand drops out, so drift detection sees it.
pub async fn live_regions(
    inv: &Invocation<'_>,
    owned: &impl Readable,
    enabled: &[String],
    disabled: &[String],
) -> Result<(Vec<String>, Vec<String>), HandlerError> {
    let mut on = Vec::new();
    for r in enabled {
        let region = RegionName::parse(r)?;
        if inv
            .account
            .region_status(owned, &region)
            .await?
            .counts_as_enabled()
        {
            on.push(r.clone());
        }
    }
    let mut off = Vec::new();
    for r in disabled {
        let region = RegionName::parse(r)?;
        if matches!(
            inv.account.region_status(owned, &region).await?,
            RegionStatus::Disabled | RegionStatus::Disabling
        ) {
            off.push(r.clone());
        }
    }
    Ok((on, off))
}

/// An Account Management call refused with AccessDeniedException means one of two things, and
/// AWS's message does not say which: trusted access for account.amazonaws.com is not enabled in
/// the organization, or the caller lacks the `account:` permission. The organization's list of
/// trusted services tells them apart.
pub async fn explain_denial(inv: &Invocation<'_>, error: HandlerError) -> HandlerError {
    let HandlerError::AccessDenied(why) = error else {
        return error;
    };
    let enable = format!(
        "enable it once from the management account with `aws organizations enable-aws-service-access --service-principal {ACCOUNT_SERVICE}` (EnableAWSServiceAccess; the organization needs all features), then run the stack operation again; or remove AlternateContacts, EnabledRegions and DisabledRegions from the template"
    );
    match inv.org.trusted_services().await {
        Ok(services) if !services.iter().any(|s| s == ACCOUNT_SERVICE) => {
            HandlerError::InvalidRequest(format!(
                "{why}. Trusted access for {ACCOUNT_SERVICE} is not enabled in the organization, and the Account Management API needs it for member accounts: {enable}"
            ))
        }
        Ok(_) => HandlerError::AccessDenied(format!(
            "{why}. Trusted access for {ACCOUNT_SERVICE} is enabled, so the caller lacks the permission: grant it the account: actions listed in the type's handler permissions"
        )),
        Err(e) => HandlerError::AccessDenied(format!(
            "{why}. Either trusted access for {ACCOUNT_SERVICE} is not enabled in the organization ({enable}), or the caller lacks the account: permission (the organization's trusted services could not be read: {e})"
        )),
    }
}

/// The partition of an account ARN (`arn:PARTITION:organizations::...`).
pub fn partition_of(arn: Option<&str>) -> &str {
    arn.and_then(|a| a.split(':').nth(1))
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partition_comes_from_the_account_arn() {
        assert_eq!(
            partition_of(Some(
                "arn:aws-us-gov:organizations::111122223333:account/o-abcdefghij/444455556666"
            )),
            "aws-us-gov"
        );
        assert_eq!(partition_of(None), "aws");
        assert_eq!(partition_of(Some("")), "aws");
    }
}
