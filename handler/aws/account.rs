//! The seam to the Account Management API (`account`): a member account's alternate contacts
//! and Regions, called from the management account with the member's AccountId and the
//! request's credentials (the caller's for the registry type, the function's own role for a
//! custom resource). Every call comes back as our types or a classified HandlerError.

use std::collections::BTreeMap;

use aws_sdk_account::config::http::HttpResponse;
use aws_sdk_account::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_account::types::{AlternateContactType, RegionOptStatus};
use aws_sdk_account::{Client, Config};

use crate::aws::ownership::{Owned, Readable};
use crate::aws::translate;
use crate::vocab::baseline::{Contact, ContactType, RegionName, RegionStatus};
use crate::vocab::error::{HandlerError, RetryClass};
use crate::vocab::model::AccountId;

const SERVICE: &str = "Account Management";

/// One caller's view of the Account Management API. Cloning shares the client.
#[derive(Clone)]
pub struct AccountManagement {
    client: Client,
}

fn api_type(kind: ContactType) -> AlternateContactType {
    match kind {
        ContactType::Billing => AlternateContactType::Billing,
        ContactType::Operations => AlternateContactType::Operations,
        ContactType::Security => AlternateContactType::Security,
    }
}

impl AccountManagement {
    /// A client from a finished configuration (the client factory's).
    pub(crate) fn from_conf(conf: Config) -> AccountManagement {
        AccountManagement {
            client: Client::from_conf(conf),
        }
    }

    /// The account's contact of one kind; None when none was ever set (ResourceNotFound).
    pub async fn contact(
        &self,
        account: &impl Readable,
        kind: ContactType,
    ) -> Result<Option<Contact>, HandlerError> {
        let id = account.account();
        let answer = self
            .client
            .get_alternate_contact()
            .account_id(id.as_str())
            .alternate_contact_type(api_type(kind))
            .send()
            .await;
        match answer {
            Ok(out) => Ok(out.alternate_contact().map(|c| Contact {
                name: c.name().unwrap_or_default().to_owned(),
                title: c.title().unwrap_or_default().to_owned(),
                email_address: c.email_address().unwrap_or_default().to_owned(),
                phone_number: c.phone_number().unwrap_or_default().to_owned(),
            })),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(translate::classify(SERVICE, "GetAlternateContact", e, None)),
        }
    }

    /// Sets the account's contact of one kind (PutAlternateContact replaces it whole).
    pub async fn put_contact(
        &self,
        owned: &Owned,
        kind: ContactType,
        contact: &Contact,
    ) -> Result<(), HandlerError> {
        let id = owned.id();
        self.client
            .put_alternate_contact()
            .account_id(id.as_str())
            .alternate_contact_type(api_type(kind))
            .name(&contact.name)
            .title(&contact.title)
            .email_address(&contact.email_address)
            .phone_number(&contact.phone_number)
            .send()
            .await
            .map_err(|e| translate::classify(SERVICE, "PutAlternateContact", e, None))?;
        Ok(())
    }

    /// Deletes the account's contact of one kind; one already gone is what was wanted.
    pub async fn delete_contact(
        &self,
        owned: &Owned,
        kind: ContactType,
    ) -> Result<(), HandlerError> {
        let id = owned.id();
        match self
            .client
            .delete_alternate_contact()
            .account_id(id.as_str())
            .alternate_contact_type(api_type(kind))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(translate::classify(
                SERVICE,
                "DeleteAlternateContact",
                e,
                None,
            )),
        }
    }

    /// Every Region of the partition and where it stands for the caller's own account (the
    /// management account: ListRegions without AccountId, which needs no trusted access). Which
    /// Regions exist, and which are enabled by default, is the same for every account.
    pub async fn partition_regions(&self) -> Result<BTreeMap<String, RegionStatus>, HandlerError> {
        let mut pages = self
            .client
            .list_regions()
            .max_results(50)
            .into_paginator()
            .send();
        let mut regions = BTreeMap::new();
        for _ in 0..MAX_PAGES {
            let Some(page) = pages.next().await else {
                break;
            };
            let page = page.map_err(|e| translate::classify(SERVICE, "ListRegions", e, None))?;
            for r in page.regions() {
                if let (Some(name), Some(status)) = (r.region_name(), r.region_opt_status()) {
                    regions.insert(name.to_owned(), opt_status(Some(status), name)?);
                }
            }
        }
        Ok(regions)
    }

    /// How many Region opt requests are under way for the account (ENABLING or DISABLING), all
    /// of them, not only the ones a template declares: the quota of 6 counts every one.
    pub async fn regions_in_flight(&self, owned: &Owned) -> Result<usize, HandlerError> {
        let mut pages = self
            .client
            .list_regions()
            .account_id(owned.id().as_str())
            .region_opt_status_contains(RegionOptStatus::Enabling)
            .region_opt_status_contains(RegionOptStatus::Disabling)
            .max_results(50)
            .into_paginator()
            .send();
        let mut count = 0;
        for _ in 0..MAX_PAGES {
            let Some(page) = pages.next().await else {
                break;
            };
            let page = page.map_err(|e| translate::classify(SERVICE, "ListRegions", e, None))?;
            count += page
                .regions()
                .iter()
                .filter(|r| {
                    matches!(
                        r.region_opt_status(),
                        Some(RegionOptStatus::Enabling | RegionOptStatus::Disabling)
                    )
                })
                .count();
        }
        Ok(count)
    }

    /// Where a Region stands for the account.
    pub async fn region_status(
        &self,
        account: &impl Readable,
        region: &RegionName,
    ) -> Result<RegionStatus, HandlerError> {
        let id = account.account();
        let out = self
            .client
            .get_region_opt_status()
            .account_id(id.as_str())
            .region_name(region.as_str())
            .send()
            .await
            .map_err(|e| translate::classify(SERVICE, "GetRegionOptStatus", e, None))?;
        opt_status(out.region_opt_status(), region.as_str())
    }

    /// Asks for the Region to be enabled. The caller reads the status first, so a
    /// ValidationException (already on) is a real refusal.
    pub async fn enable_region(
        &self,
        owned: &Owned,
        region: &RegionName,
    ) -> Result<(), HandlerError> {
        let id = owned.id();
        let sent = self
            .client
            .enable_region()
            .account_id(id.as_str())
            .region_name(region.as_str())
            .send()
            .await;
        sent.map(|_| ()).map_err(|e| {
            let conflict = e
                .as_service_error()
                .is_some_and(|s| s.is_conflict_exception());
            opt_refused("EnableRegion", e, conflict, id, region)
        })
    }

    /// Asks for the Region to be disabled.
    pub async fn disable_region(
        &self,
        owned: &Owned,
        region: &RegionName,
    ) -> Result<(), HandlerError> {
        let id = owned.id();
        let sent = self
            .client
            .disable_region()
            .account_id(id.as_str())
            .region_name(region.as_str())
            .send()
            .await;
        sent.map(|_| ()).map_err(|e| {
            let conflict = e
                .as_service_error()
                .is_some_and(|s| s.is_conflict_exception());
            opt_refused("DisableRegion", e, conflict, id, region)
        })
    }
}

/// A Region's opt status in our terms.
fn opt_status(
    status: Option<&RegionOptStatus>,
    region: &str,
) -> Result<RegionStatus, HandlerError> {
    match status {
        Some(RegionOptStatus::Enabled) => Ok(RegionStatus::Enabled),
        Some(RegionOptStatus::Enabling) => Ok(RegionStatus::Enabling),
        Some(RegionOptStatus::Disabling) => Ok(RegionStatus::Disabling),
        Some(RegionOptStatus::Disabled) => Ok(RegionStatus::Disabled),
        Some(RegionOptStatus::EnabledByDefault) => Ok(RegionStatus::EnabledByDefault),
        other => Err(HandlerError::GeneralServiceException(format!(
            "{SERVICE}: {region} has a status this handler does not know ({other:?})"
        ))),
    }
}

/// Safety net for a listing that repeats its pages.
const MAX_PAGES: usize = 100;

/// A refused EnableRegion or DisableRegion. ConflictException means the opposite transition is
/// still under way (enabling a Region being disabled, or the reverse): waited out.
fn opt_refused<E>(
    op: &str,
    e: SdkError<E, HttpResponse>,
    conflict: bool,
    id: &AccountId,
    region: &RegionName,
) -> HandlerError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if conflict {
        return HandlerError::retry(
            RetryClass::Contention,
            format!("{op}: {region} is still changing the other way for account {id}; trying again once that is done"),
        );
    }
    translate::classify(SERVICE, op, e, None)
}
