//! The seam to Organizations: every Organizations call the handler makes goes through here, with
//! the request's credentials (a client from `clients`), and comes back as our types or a
//! classified HandlerError.

use std::collections::BTreeMap;

use aws_sdk_organizations::config::http::HttpResponse;
use aws_sdk_organizations::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_organizations::types::{CreateAccountState, IamUserAccessToBilling};
use aws_sdk_organizations::{Client, Config};
use aws_smithy_types::retry::RetryConfig;

use std::sync::Arc;

use crate::aws::ownership::{Acting, Owned, Proofs, Readable};
use crate::aws::translate;
use crate::vocab::error::HandlerError;
use crate::vocab::model::{AccountId, BillingAccess, CreateAccountRequestId, ParentId};
use crate::vocab::observed::{AccountView, CreateStatus};

/// The ConstraintViolationException reason, for operations that can raise one.
trait ConstraintReason {
    fn reason(&self) -> Option<String> {
        None
    }
}

macro_rules! with_reason {
    ($($err:ty),*) => {$(
        impl ConstraintReason for $err {
            fn reason(&self) -> Option<String> {
                match self {
                    Self::ConstraintViolationException(e) => e.reason().map(|r| r.as_str().to_owned()),
                    _ => None,
                }
            }
        }
    )*};
}

macro_rules! without_reason {
    ($($err:ty),*) => {$( impl ConstraintReason for $err {} )*};
}

use aws_sdk_organizations::operation as op;
with_reason!(
    op::close_account::CloseAccountError,
    op::create_account::CreateAccountError,
    op::create_gov_cloud_account::CreateGovCloudAccountError,
    op::tag_resource::TagResourceError,
    op::untag_resource::UntagResourceError,
    op::remove_account_from_organization::RemoveAccountFromOrganizationError
);
without_reason!(
    op::describe_account::DescribeAccountError,
    op::list_parents::ListParentsError,
    op::list_roots::ListRootsError,
    op::list_tags_for_resource::ListTagsForResourceError,
    op::list_accounts::ListAccountsError,
    op::move_account::MoveAccountError,
    op::describe_create_account_status::DescribeCreateAccountStatusError,
    op::list_create_account_status::ListCreateAccountStatusError,
    op::list_aws_service_access_for_organization::ListAWSServiceAccessForOrganizationError,
    op::describe_organizational_unit::DescribeOrganizationalUnitError,
    op::list_organizational_units_for_parent::ListOrganizationalUnitsForParentError
);

fn classify<E>(op: &str, err: SdkError<E, HttpResponse>) -> HandlerError
where
    E: ProvideErrorMetadata + ConstraintReason + std::error::Error + Send + Sync + 'static,
{
    let reason = match &err {
        SdkError::ServiceError(se) => se.err().reason(),
        _ => None,
    };
    translate::classify("Organizations", op, err, reason.as_deref())
}

/// One caller's view of Organizations, built for one request. Cloning shares the client and
/// the proofs the request made.
#[derive(Clone)]
pub struct Organizations {
    client: Client,
    acting: Acting,
    proofs: Arc<Proofs>,
}

impl Organizations {
    /// Organizations with a client configured for one caller (see `clients::Clients`), acting
    /// with the credentials `acting` says.
    pub(crate) fn from_conf(conf: Config, acting: Acting) -> Organizations {
        Organizations {
            client: Client::from_conf(conf),
            acting,
            proofs: Arc::default(),
        }
    }

    /// The ownership checks this request made (`ownership::prove` keeps and reuses them).
    pub(crate) fn proofs(&self) -> &Proofs {
        &self.proofs
    }

    /// Whose credentials these calls carry (the ownership check reads it).
    pub fn acting(&self) -> Acting {
        self.acting
    }
}

/// Safety net for paginated listings: a service that repeats its pages (moto's
/// ListCreateAccountStatus does) must not keep the handler busy past its time limit.
const MAX_PAGES: usize = 500;

impl Organizations {
    pub async fn describe_account(&self, id: &AccountId) -> Result<AccountView, HandlerError> {
        let out = self
            .client
            .describe_account()
            .account_id(id.as_str())
            .send()
            .await
            .map_err(|e| classify("DescribeAccount", e))?;
        let account = out.account().ok_or_else(|| {
            HandlerError::GeneralServiceException("DescribeAccount returned no account".into())
        })?;
        translate::account_view(account)
    }

    /// The account's parent (a root or an OU).
    pub async fn parent_of(&self, account: &impl Readable) -> Result<ParentId, HandlerError> {
        self.parent_of_child(account.account().as_str()).await
    }

    /// The parent of an account or an OU.
    async fn parent_of_child(&self, child: &str) -> Result<ParentId, HandlerError> {
        let out = self
            .client
            .list_parents()
            .child_id(child)
            .send()
            .await
            .map_err(|e| classify("ListParents", e))?;
        let parent = out.parents().first().and_then(|p| p.id()).ok_or_else(|| {
            HandlerError::GeneralServiceException(format!(
                "ListParents returned no parent for {child}"
            ))
        })?;
        ParentId::parse(parent).map_err(|_| {
            HandlerError::GeneralServiceException(format!(
                "ListParents returned a malformed parent id {parent:?}"
            ))
        })
    }

    pub async fn root_id(&self) -> Result<ParentId, HandlerError> {
        let out = self
            .client
            .list_roots()
            .send()
            .await
            .map_err(|e| classify("ListRoots", e))?;
        let root = out.roots().first().and_then(|r| r.id()).ok_or_else(|| {
            HandlerError::GeneralServiceException("ListRoots returned no root".into())
        })?;
        ParentId::parse(root).map_err(|_| {
            HandlerError::GeneralServiceException(format!(
                "ListRoots returned a malformed root id {root:?}"
            ))
        })
    }

    /// The OUs directly in `parent` (a root or an OU): id and name.
    pub async fn ous_in(&self, parent: &ParentId) -> Result<Vec<(ParentId, String)>, HandlerError> {
        let mut pages = self
            .client
            .list_organizational_units_for_parent()
            .parent_id(parent.as_str())
            .into_paginator()
            .send();
        let mut found = Vec::new();
        for _ in 0..MAX_PAGES {
            let Some(page) = pages.next().await else {
                break;
            };
            let page = page.map_err(|e| classify("ListOrganizationalUnitsForParent", e))?;
            for ou in page.organizational_units() {
                if let (Some(id), Some(name)) = (ou.id(), ou.name()) {
                    let id = ParentId::parse(id).map_err(|_| {
                        HandlerError::GeneralServiceException(format!(
                            "ListOrganizationalUnitsForParent returned a malformed OU id {id:?}"
                        ))
                    })?;
                    found.push((id, name.to_owned()));
                }
            }
        }
        Ok(found)
    }

    /// The OU's name and its parent (a root or an OU).
    pub async fn ou_place(&self, ou: &ParentId) -> Result<(String, ParentId), HandlerError> {
        let (described, parent) = tokio::try_join!(
            async {
                self.client
                    .describe_organizational_unit()
                    .organizational_unit_id(ou.as_str())
                    .send()
                    .await
                    .map_err(|e| classify("DescribeOrganizationalUnit", e))
            },
            self.parent_of_child(ou.as_str())
        )?;
        let name = described
            .organizational_unit()
            .and_then(|u| u.name())
            .ok_or_else(|| {
                HandlerError::GeneralServiceException(format!(
                    "DescribeOrganizationalUnit returned no name for {ou}"
                ))
            })?;
        Ok((name.to_owned(), parent))
    }

    /// Whether an organizational unit of this id exists in the organization.
    pub async fn ou_exists(&self, ou: &ParentId) -> Result<bool, HandlerError> {
        match self
            .client
            .describe_organizational_unit()
            .organizational_unit_id(ou.as_str())
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_organizational_unit_not_found_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(classify("DescribeOrganizationalUnit", e)),
        }
    }

    /// The service principals with trusted access in the organization (the Account Management
    /// API needs `account.amazonaws.com`).
    pub async fn trusted_services(&self) -> Result<Vec<String>, HandlerError> {
        let mut pages = self
            .client
            .list_aws_service_access_for_organization()
            .into_paginator()
            .send();
        let mut services = Vec::new();
        for _ in 0..MAX_PAGES {
            let Some(page) = pages.next().await else {
                break;
            };
            let page = page.map_err(|e| classify("ListAWSServiceAccessForOrganization", e))?;
            services.extend(
                page.enabled_service_principals()
                    .iter()
                    .filter_map(|s| s.service_principal().map(str::to_owned)),
            );
        }
        Ok(services)
    }

    /// All tags of an account, through the SDK's paginator (which goes on past empty pages
    /// that carry a NextToken, and stops on a repeated token).
    pub async fn tags_of(&self, id: &AccountId) -> Result<BTreeMap<String, String>, HandlerError> {
        let mut pages = self
            .client
            .list_tags_for_resource()
            .resource_id(id.as_str())
            .into_paginator()
            .send();
        let mut tags = BTreeMap::new();
        for _ in 0..MAX_PAGES {
            let Some(page) = pages.next().await else {
                break;
            };
            let page = page.map_err(|e| classify("ListTagsForResource", e))?;
            for t in page.tags() {
                tags.insert(t.key().to_owned(), t.value().to_owned());
            }
        }
        Ok(tags)
    }

    /// One page of ListAccounts.
    pub async fn accounts_page(
        &self,
        token: Option<String>,
    ) -> Result<(Vec<AccountView>, Option<String>), HandlerError> {
        let out = self
            .client
            .list_accounts()
            .max_results(20)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("ListAccounts", e))?;
        let accounts = out
            .accounts()
            .iter()
            .map(translate::account_view)
            .collect::<Result<_, _>>()?;
        Ok((accounts, out.next_token().map(str::to_owned)))
    }

    /// The accounts using `email` (compared case-insensitively), closed ones included. This
    /// pages through every account: only for the rare paths where CreateAccount said
    /// EMAIL_ALREADY_EXISTS and the owner must be found. No ceiling on the organization's size
    /// (its quota is raised to 10,000 accounts and beyond on request, 20 a page): the SDK's
    /// paginator stops on a repeated token, and the step's time budget bounds the rest.
    pub async fn accounts_with_email(&self, email: &str) -> Result<Vec<AccountView>, HandlerError> {
        let mut pages = self
            .client
            .list_accounts()
            .into_paginator()
            .page_size(20)
            .send();
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("ListAccounts", e))?;
            for account in page.accounts() {
                if account
                    .email()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
                {
                    found.push(translate::account_view(account)?);
                }
            }
        }
        Ok(found)
    }

    /// Create requests still in progress (at most a handful: Organizations runs 5 at once).
    pub async fn creations_in_progress(&self) -> Result<Vec<CreateStatus>, HandlerError> {
        let mut pages = self
            .client
            .list_create_account_status()
            .states(CreateAccountState::InProgress)
            .into_paginator()
            .page_size(20)
            .send();
        let mut found = Vec::new();
        for _ in 0..MAX_PAGES {
            let Some(page) = pages.next().await else {
                break;
            };
            let page = page.map_err(|e| classify("ListCreateAccountStatus", e))?;
            for s in page.create_account_statuses() {
                found.push(translate::create_status(s)?);
            }
        }
        Ok(found)
    }

    /// CreateAccount or CreateGovCloudAccount, tried once: CreateAccount has no idempotency
    /// token, so a retry after a lost answer could start a second request. An unknown outcome
    /// comes back as a Transient error and the create logic looks for the request first.
    pub async fn create_account(
        &self,
        req: &CreateRequest<'_>,
    ) -> Result<CreateStatus, HandlerError> {
        let tags = translate::sdk_tags(req.tags)?;
        let billing = IamUserAccessToBilling::from(req.billing.as_str());
        let status = if req.gov_cloud {
            let out = self
                .client
                .create_gov_cloud_account()
                .account_name(req.name)
                .email(req.email)
                .role_name(req.role_name)
                .iam_user_access_to_billing(billing)
                .set_tags(Some(tags))
                .customize()
                .config_override(no_retry())
                .send()
                .await
                .map_err(|e| classify("CreateGovCloudAccount", e))?;
            out.create_account_status().cloned()
        } else {
            let out = self
                .client
                .create_account()
                .account_name(req.name)
                .email(req.email)
                .role_name(req.role_name)
                .iam_user_access_to_billing(billing)
                .set_tags(Some(tags))
                .customize()
                .config_override(no_retry())
                .send()
                .await
                .map_err(|e| classify("CreateAccount", e))?;
            out.create_account_status().cloned()
        };
        let status = status.ok_or_else(|| {
            HandlerError::GeneralServiceException("CreateAccount returned no status".into())
        })?;
        translate::create_status(&status)
    }

    pub async fn describe_creation(
        &self,
        id: &CreateAccountRequestId,
    ) -> Result<CreateStatus, HandlerError> {
        let out = self
            .client
            .describe_create_account_status()
            .create_account_request_id(id.as_str())
            .send()
            .await
            .map_err(|e| classify("DescribeCreateAccountStatus", e))?;
        let status = out.create_account_status().ok_or_else(|| {
            HandlerError::GeneralServiceException(
                "DescribeCreateAccountStatus returned no status".into(),
            )
        })?;
        translate::create_status(status)
    }

    /// Moves an account; an account already in the destination counts as moved.
    pub async fn move_account(
        &self,
        owned: &Owned,
        from: &ParentId,
        to: &ParentId,
    ) -> Result<(), HandlerError> {
        self.proofs.forget();
        match self
            .client
            .move_account()
            .account_id(owned.id().as_str())
            .source_parent_id(from.as_str())
            .destination_parent_id(to.as_str())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_duplicate_account_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(classify("MoveAccount", e)),
        }
    }

    pub async fn tag(
        &self,
        owned: &Owned,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), HandlerError> {
        if tags.is_empty() {
            return Ok(());
        }
        self.proofs.forget();
        self.client
            .tag_resource()
            .resource_id(owned.id().as_str())
            .set_tags(Some(translate::sdk_tags(tags)?))
            .send()
            .await
            .map_err(|e| classify("TagResource", e))?;
        Ok(())
    }

    pub async fn untag(&self, owned: &Owned, keys: &[String]) -> Result<(), HandlerError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.proofs.forget();
        self.client
            .untag_resource()
            .resource_id(owned.id().as_str())
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(|e| classify("UntagResource", e))?;
        Ok(())
    }

    /// RemoveAccountFromOrganization: the account becomes a standalone account.
    pub async fn remove_from_organization(&self, owned: &Owned) -> Result<(), HandlerError> {
        self.proofs.forget();
        self.client
            .remove_account_from_organization()
            .account_id(owned.id().as_str())
            .send()
            .await
            .map_err(|e| classify("RemoveAccountFromOrganization", e))?;
        Ok(())
    }

    /// CloseAccount. ConflictException means a close of this account is already under way
    /// (another request's, or this one's earlier call whose answer was lost and which the SDK
    /// retried): that is a close too, to be waited out, not a failure.
    pub async fn close_account(&self, owned: &Owned) -> Result<Closing, HandlerError> {
        self.proofs.forget();
        match self
            .client
            .close_account()
            .account_id(owned.id().as_str())
            .send()
            .await
        {
            Ok(_) => Ok(Closing::Requested),
            Err(SdkError::ServiceError(se)) if se.err().is_conflict_exception() => {
                Ok(Closing::AlreadyUnderWay)
            }
            Err(e) => Err(classify("CloseAccount", e)),
        }
    }
}

/// How a CloseAccount call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    Requested,
    AlreadyUnderWay,
}

/// The SDK's retries switched off, for calls that must not be repeated blindly.
fn no_retry() -> aws_sdk_organizations::config::Builder {
    Config::builder().retry_config(RetryConfig::disabled())
}

/// What CreateAccount is called with.
pub struct CreateRequest<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub role_name: &'a str,
    pub billing: BillingAccess,
    pub gov_cloud: bool,
    pub tags: &'a BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::clients::Clients;
    use crate::vocab::credentials::CallerCredentials;
    use aws_config::BehaviorVersion;
    use aws_sdk_organizations::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};

    /// The endpoint and signing region the SDK resolves for a caller's client in `region`.
    async fn resolved(region: &str) -> (String, String) {
        let clients = Clients::from_config(
            Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .build(),
        );
        let creds = CallerCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        };
        let org = clients.for_caller(&creds, Some(region)).org;
        let conf = org.client.config();
        let params = Params::builder()
            .set_region(conf.region().map(|r| r.to_string()))
            .build()
            .unwrap();
        // The client carries the request's region; the SDK's rules resolve it (a client built
        // without an endpoint URL uses the default resolver).
        let endpoint = DefaultResolver::new()
            .resolve_endpoint(&params)
            .await
            .unwrap();
        let signing = endpoint
            .auth_schemes()
            .first()
            .and_then(|scheme| scheme.get("signingRegion"))
            .and_then(|r| r.as_string())
            .unwrap_or_default()
            .to_owned();
        (endpoint.url().to_owned(), signing)
    }

    #[tokio::test]
    async fn each_partition_resolves_to_its_global_endpoint_through_the_sdk() {
        assert_eq!(
            resolved("eu-west-1").await,
            (
                "https://organizations.us-east-1.amazonaws.com".into(),
                "us-east-1".into()
            )
        );
        assert_eq!(
            resolved("us-gov-east-1").await,
            (
                "https://organizations.us-gov-west-1.amazonaws.com".into(),
                "us-gov-west-1".into()
            )
        );
        assert_eq!(
            resolved("cn-north-1").await,
            (
                "https://organizations.cn-northwest-1.amazonaws.com.cn".into(),
                "cn-northwest-1".into()
            )
        );
    }
}
