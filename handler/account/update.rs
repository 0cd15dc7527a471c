//! UPDATE: compared with the live account, not with the previous template, so that rollbacks
//! and changes made by hand are handled. AccountName, Email, RoleName and the creation-only
//! extensions cannot change: such an update fails with NotUpdatable before anything changes.
//! Nothing the template did not ask for is touched: the account moves only when a template
//! names a parent (or the previous one did and the new one does not: back to the root), and only
//! tag keys the previous template or stack declared are removed; other tools' tags survive.

use std::collections::{BTreeMap, BTreeSet};

use crate::account::backoff::region_poll_delay;
use crate::account::baseline::{self, Regions};
use crate::account::inside::{self, Pass, Progress};
use crate::account::stages::{Context, UpdateStage};
use crate::account::step::{Invocation, Step};
use crate::account::{parent, preflight, read};
use crate::aws::ownership::{Owned, Purpose};
use crate::vocab::baseline::{AlternateContacts, Contact, ContactType};
use crate::vocab::before::{Undeclared, TAG_BEFORE};
use crate::vocab::error::HandlerError;
use crate::vocab::identity::declared_names;
use crate::vocab::model::{
    check_tags, AccountId, CreateSettings, DesiredAccount, ParentId, ResourceModel,
    DEFAULT_ROLE_NAME, MAX_ACCOUNT_TAGS,
};
use crate::vocab::observed::{AccountView, Bookkeeping, TAG_RECORD};
use crate::vocab::parent::{OuPath, ParentRef};

pub async fn run(inv: &Invocation<'_>, ctx: &Context<UpdateStage>) -> Result<Step, HandlerError> {
    match &ctx.stage {
        UpdateStage::ApplyUpdate { settings } => apply(inv, settings.as_ref()).await,
        UpdateStage::ConvergeUpdatedRegions { account_id } => {
            let desired = inv.desired()?;
            let owned = inv.owned(account_id, Purpose::Management).await?;
            match baseline::converge_regions(inv, &owned, &desired.regions).await {
                Ok(Regions::Settled) => {
                    let undeclared = undeclared_of(inv)?;
                    finish(inv, account_id, desired, &undeclared).await
                }
                Ok(Regions::Pending(what)) => Ok(Step::Continue {
                    model: inv.incoming_model()?,
                    context: ctx.again().into(),
                    delay: region_poll_delay(ctx.attempt),
                    message: format!("waiting for the Regions of account {account_id}: {what}"),
                }),
                Err(e) => Err(baseline::explain_denial(inv, e).await),
            }
        }
        UpdateStage::ConfigureUpdatedInside {
            account_id,
            settled,
        } => {
            let desired = inv.desired()?;
            let undeclared = undeclared_of(inv)?;
            let owned = inv.owned(account_id, Purpose::Management).await?;
            let role = role_of(&owned, desired);
            let partition = baseline::partition_of(owned.view().arn.as_deref()).to_owned();
            let pass = inside::pass(
                inv,
                &owned,
                &partition,
                &role,
                &desired.inside,
                &undeclared,
                settled,
            )
            .await?;
            match pass {
                Pass::Ran(Progress::Done(summary)) => {
                    tracing::info!(%summary, "account configured inside");
                    read::describe(inv, account_id, Purpose::Management)
                        .await
                        .map(Step::Done)
                }
                Pass::Ran(Progress::Pending { settled, left }) => Ok(Step::Continue {
                    model: inv.incoming_model()?,
                    context: Context::new(UpdateStage::ConfigureUpdatedInside {
                        account_id: account_id.clone(),
                        settled,
                    })
                    .into(),
                    delay: 1,
                    message: format!(
                        "configuring account {account_id} inside; Regions left: {}",
                        left.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                }),
                Pass::NotYet(why) => Err(HandlerError::AccessDenied(format!(
                    "Account {account_id}: its role {role} could not be assumed to configure it inside ({why}). The caller needs sts:AssumeRole on arn:{partition}:iam::{account_id}:role/{role}, and the role must trust the management account"
                ))),
            }
        }
    }
}

/// The role to assume inside the account: the one its record says it was created with, else
/// the template's (an imported account: OrganizationAccountAccessRole unless declared).
fn role_of(owned: &Owned, desired: &DesiredAccount) -> String {
    owned
        .book()
        .role_name
        .clone()
        .unwrap_or_else(|| desired.role_name.clone())
}

/// What the previous template declared inside the account and this one does not (a rollback
/// of the update that declared it, or a template that stopped declaring it): put back.
fn undeclared_inside(desired: &DesiredAccount, previous: &ResourceModel) -> Undeclared {
    let inside = &desired.inside;
    Undeclared {
        alias: previous
            .account_alias
            .clone()
            .filter(|_| inside.alias.is_none()),
        ebs_encryption: previous
            .ebs_encryption_by_default
            .filter(|_| inside.ebs_encryption.is_none()),
        block_public_access: previous
            .s3_block_public_access
            .filter(|_| inside.block_public_access.is_none()),
    }
}

fn undeclared_of(inv: &Invocation<'_>) -> Result<Undeclared, HandlerError> {
    let desired = inv.desired()?;
    let previous = ResourceModel::from_value(inv.request.previous_resource_properties.as_ref())?;
    Ok(undeclared_inside(desired, &previous))
}

/// After the Organizations side and the Regions: the inside of the account when the template
/// declares it or the previous one did, else the account read back.
async fn finish(
    inv: &Invocation<'_>,
    id: &AccountId,
    desired: &DesiredAccount,
    undeclared: &Undeclared,
) -> Result<Step, HandlerError> {
    if desired.inside.is_empty() && undeclared.is_empty() {
        // Read back through a fresh check: the proof above saw the tags before the change.
        return read::describe(inv, id, Purpose::Management)
            .await
            .map(Step::Done);
    }
    Ok(Step::Continue {
        model: inv.incoming_model()?,
        context: Context::new(UpdateStage::ConfigureUpdatedInside {
            account_id: id.clone(),
            settled: BTreeSet::new(),
        })
        .into(),
        delay: 1,
        message: format!("account {id} updated; configuring it inside"),
    })
}

async fn apply(
    inv: &Invocation<'_>,
    pinned: Option<&CreateSettings>,
) -> Result<Step, HandlerError> {
    let mut desired = inv.desired()?.clone();
    // On a callback the model lacks the write-only values; the first call pinned them.
    if let Some(settings) = pinned {
        desired.role_name = settings.role_name.clone();
        desired.billing = settings.billing;
        desired.gov_cloud = settings.gov_cloud;
    }
    let desired_tags = desired.effective_tags(&inv.request.stack_tags);
    check_tags(
        &desired_tags,
        &inv.request.stack_tags,
        1 + usize::from(desired.inside.recorded()),
    )?;
    let previous = ResourceModel::from_value(inv.request.previous_resource_properties.as_ref())?;
    let id = match (&desired.account_id, &previous.account_id) {
        (Some(id), _) => id.clone(),
        (None, Some(prev)) => AccountId::parse(prev)?,
        (None, None) => {
            return Err(HandlerError::NotFound(
                "AccountId: missing from the desired and previous models; the update does not name an account".into(),
            ))
        }
    };
    tracing::Span::current().record("account_id", id.as_str());

    // The account's live record: the proof every change below needs. With the function's own
    // role (custom resources) it must name this declaration.
    let owned = inv.owned(&id, Purpose::Management).await?;
    let live = owned.view();
    if !live.is_live() {
        return Err(HandlerError::NotFound(format!(
            "Account {id} is {} in the organization",
            live.lifecycle()
        )));
    }
    let (live_tags, book) = (owned.user_tags(), owned.book());
    // Everything that cannot change is checked before anything is changed.
    check_immutable(&desired, live, book, &previous, inv.request.rollback)?;

    // Parents: omitted in both templates means untouched (a hand-placed account stays where it
    // is, under the SCPs it is under). A template that stops naming a parent, or the rollback of
    // one that named it, moves the account back where it was before a template first placed it
    // (recorded then; the root for an account this handler created), and only while it is still
    // where that template put it: a move the failed update never made, or a move made by hand
    // since, is left alone. Moves start from the live parent.
    // A parent named by path is the OU the path leads to now; a previous path that leads
    // nowhere any more (its OUs renamed or gone) names no parent to move back from.
    let previous_parent = match (
        previous.parent_ids.as_ref().and_then(|p| p.first()),
        previous.parent_path.as_deref().map(OuPath::parse),
    ) {
        (Some(p), _) => Some(ParentId::parse(p)?),
        (None, Some(Ok(path))) => match parent::resolve(inv, &ParentRef::Path(path)).await {
            Ok(id) => Some(id),
            Err(HandlerError::InvalidRequest(_)) => None,
            Err(e) => return Err(e),
        },
        (None, Some(Err(_)) | None) => None,
    };
    let desired_parent = match &desired.parent {
        Some(declared) => Some(parent::resolve(inv, declared).await?),
        None => None,
    };
    let current = match (&desired_parent, &previous_parent) {
        (None, None) => None,
        _ => Some(inv.org.parent_of(&owned).await?),
    };
    let target = match (&desired_parent, &previous_parent, &current) {
        (Some(p), _, _) => Some(p.clone()),
        (None, Some(placed), Some(now)) if now == placed => {
            match book.origin.as_deref().map(ParentId::parse).transpose() {
                Ok(Some(origin)) => Some(origin),
                Ok(None) | Err(_) => Some(inv.org.root_id().await?),
            }
        }
        (None, _, _) => None,
    };
    let mut record = book.clone();
    record.deletion = Some(desired.deletion.as_str().to_owned());
    if let Some(before) = followed_outside_change(&desired, live, &previous) {
        // The template follows a rename (or e-mail change) made outside CloudFormation:
        // remember what it declared before, so the rollback of this update is recognised.
        record.followed = Some(before);
    }
    if let (Some(_), None, Some(now), None) =
        (&desired_parent, &previous_parent, &current, &book.origin)
    {
        // A template places the account for the first time: remember where it was.
        record.origin = Some(now.to_string());
    }
    // Tags: the template owns its keys, not the account's. The record joins the account's
    // other tags, so the total is checked against Organizations' 50 before anything changes
    // (TagResource would refuse it whole, and so would the rollback's).
    let declared_before = declared_values(&previous, &inv.request.previous_stack_tags);
    let (mut set, remove) = tag_diff(&desired_tags, live_tags, &declared_before);
    if &record != book {
        set.insert(TAG_RECORD.to_owned(), record.encode());
    }
    // The inside stage adds the record of what the account held there before, if it lacks it.
    let mut counted = set.clone();
    if desired.inside.recorded() && !owned.has_before() {
        counted.insert(TAG_BEFORE.to_owned(), String::new());
    }
    check_tag_total(
        &id,
        owned.tag_count(),
        owned.has_record(),
        live_tags,
        &counted,
        &remove,
    )?;

    // What AWS would refuse midway (a missing OU, the Account Management API without trusted
    // access, a Region the partition lacks) is refused before the first change.
    preflight::check(inv, &desired, desired_parent.as_ref()).await?;

    // Tags (and with them the record) before the move: a failure later in this update leaves
    // the record saying where the account came from and what the template declared before, so
    // the rollback finds them.
    inv.org.untag(&owned, &remove).await?;
    inv.org.tag(&owned, &set).await?;
    if let (Some(target), Some(current)) = (&target, &current) {
        if current != target {
            tracing::info!(from = %current, to = %target, "moving account");
            inv.org.move_account(&owned, current, target).await?;
        }
    }

    // Alternate contacts: the declared ones are put; a kind the previous template declared and
    // this one does not is deleted while it is still as that template set it (a contact the
    // failed update never wrote, or one changed by hand since, stays); kinds no template
    // declared are never touched.
    let removed = removed_contacts(
        desired.contacts.as_ref(),
        previous.alternate_contacts.as_ref(),
    );
    if desired.contacts.is_some() || !removed.is_empty() {
        let contacts = desired.contacts.clone().unwrap_or_default();
        if let Err(e) = baseline::apply_contacts(inv, &owned, &contacts, &removed).await {
            return Err(baseline::explain_denial(inv, e).await);
        }
    }
    // Regions: a Region dropped from EnabledRegions stays enabled (only DisabledRegions
    // disables), so only the declared ones are brought where they belong, through callbacks.
    if !desired.regions.is_empty() {
        return Ok(Step::Continue {
            model: inv.incoming_model()?,
            context: Context::new(UpdateStage::ConvergeUpdatedRegions {
                account_id: id.clone(),
            })
            .into(),
            delay: 1,
            message: format!("account {id} updated; bringing its Regions where declared"),
        });
    }
    let undeclared = undeclared_inside(&desired, &previous);
    finish(inv, &id, &desired, &undeclared).await
}

/// When the template changes AccountName or Email to what the live account already has (it
/// follows a change made outside CloudFormation), the digest of what the previous template
/// declared.
pub fn followed_outside_change(
    desired: &DesiredAccount,
    live: &AccountView,
    previous: &ResourceModel,
) -> Option<String> {
    let (Some(name), Some(email)) = (&previous.account_name, &previous.email) else {
        return None;
    };
    let changed = name != &desired.name || !email.eq_ignore_ascii_case(&desired.email);
    let follows = live.name.as_deref() == Some(desired.name.as_str())
        && live
            .email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(&desired.email));
    (changed && follows).then(|| declared_names(name, email))
}

/// Refuses an update whose tags would pass Organizations' 50 per account, counting what the
/// account already has (other tools' tags and the record included), what the update adds and
/// what it removes: before any call, naming the count and how many must go.
pub fn check_tag_total(
    id: &AccountId,
    live_total: usize,
    has_record: bool,
    live_user: &BTreeMap<String, String>,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), HandlerError> {
    // Keys set that the account lacks are new; the record replaces itself when present.
    let added = set
        .keys()
        .filter(|k| match k.as_str() {
            TAG_RECORD => !has_record,
            key => !live_user.contains_key(key),
        })
        .count();
    let total = (live_total + added).saturating_sub(remove.len());
    if total <= MAX_ACCOUNT_TAGS {
        return Ok(());
    }
    let excess = total - MAX_ACCOUNT_TAGS;
    Err(HandlerError::InvalidRequest(format!(
        "Tags: account {id} already has {live_total} tags (tags other tools put on it and the handler's record tag {TAG_RECORD} count too); after this update it would have {total}, and Organizations allows at most {MAX_ACCOUNT_TAGS} per account: remove {excess} tag(s) from the account outside CloudFormation, or from the template, then run the update again. Nothing was changed"
    )))
}

/// The contact kinds the previous template declared and the desired one does not, with the
/// contact the previous template declared.
pub fn removed_contacts(
    desired: Option<&AlternateContacts>,
    previous: Option<&AlternateContacts>,
) -> Vec<(ContactType, Contact)> {
    ContactType::ALL
        .into_iter()
        .filter(|k| desired.and_then(|d| d.get(*k)).is_none())
        .filter_map(|k| previous.and_then(|p| p.get(k)).map(|c| (k, c.clone())))
        .collect()
}

/// Rejects a change to a property that cannot be updated, naming it and saying how to change it
/// outside CloudFormation. Name and e-mail are compared with the live account and the previous
/// template (a change is what the template asks for and the account lacks); what cannot be
/// read back is compared with what the handler recorded at creation, or, for accounts it did not
/// create, with the previous template (a rollback is always accepted, so it can succeed).
pub fn check_immutable(
    desired: &DesiredAccount,
    live: &AccountView,
    book: &Bookkeeping,
    previous: &ResourceModel,
    rollback: bool,
) -> Result<(), HandlerError> {
    // Name and e-mail are checked only when the template asks for them to change: a request
    // for what the live account has, for what the previous template declared (a name changed
    // outside CloudFormation since is drift, reported by READ, not a change asked for), or for
    // what the record says the template declared before it followed such a change (the rollback
    // of that update: custom resources carry no rollback flag) changes nothing and is accepted,
    // as is any rollback. A rollback cannot restore a name changed outside and must not fail
    // (UPDATE_ROLLBACK_FAILED).
    let returning =
        book.followed.as_deref() == Some(declared_names(&desired.name, &desired.email).as_str());
    let asked = !rollback && !returning;
    if let Some(name) = live.name.as_ref().filter(|_| asked) {
        if name != &desired.name && previous.account_name.as_deref() != Some(&desired.name) {
            return Err(HandlerError::NotUpdatable(format!(
                "AccountName: cannot change from {name:?} to {:?} through CloudFormation. Rename the account outside CloudFormation (the Account Management PutAccountName API, or the console as the account's root user), then set AccountName to the new name.",
                desired.name
            )));
        }
    }
    if let Some(email) = live.email.as_ref().filter(|_| asked) {
        let same = |e: &str| e.eq_ignore_ascii_case(&desired.email);
        if !same(email) && !previous.email.as_deref().is_some_and(same) {
            return Err(HandlerError::NotUpdatable(format!(
                "Email: cannot change from {email:?} to {:?} through CloudFormation. Change the root user's e-mail address outside CloudFormation (the Account Management StartPrimaryEmailUpdate API, or the console as the root user), then set Email to the new address.",
                desired.email
            )));
        }
    }
    let recorded_or_previous = |recorded: Option<&str>, previous: Option<&str>| -> Option<String> {
        match (recorded, rollback) {
            (Some(r), _) => Some(r.to_owned()),
            (None, true) => None,
            (None, false) => previous.map(str::to_owned),
        }
    };
    let previous_role = previous
        .role_name
        .as_deref()
        .or(Some(DEFAULT_ROLE_NAME).filter(|_| previous.account_name.is_some()));
    if let Some(was) = recorded_or_previous(book.role_name.as_deref(), previous_role) {
        if was != desired.role_name {
            return Err(HandlerError::NotUpdatable(format!(
                "RoleName: the account was created with role {was:?}; Organizations cannot change it. Manage the IAM role inside the account instead, and set RoleName back to {was:?}."
            )));
        }
    }
    let previous_billing = previous
        .iam_user_access_to_billing
        .as_deref()
        .or(Some("ALLOW").filter(|_| previous.account_name.is_some()));
    if let Some(was) = recorded_or_previous(book.billing.as_deref(), previous_billing) {
        if was != desired.billing.as_str() {
            return Err(HandlerError::NotUpdatable(format!(
                "IamUserAccessToBilling: the account was created with {was}; change it in the account's Billing console (IAM user and role access to billing information), and set IamUserAccessToBilling back to {was}."
            )));
        }
    }
    let recorded_gov = if book.resource.is_some() || book.role_name.is_some() {
        Some(book.gov_cloud_account_id.is_some())
    } else if rollback {
        None
    } else {
        previous
            .create_gov_cloud_account
            .or(Some(false).filter(|_| previous.account_name.is_some()))
    };
    if let Some(was) = recorded_gov {
        if was != desired.gov_cloud {
            return Err(HandlerError::NotUpdatable(format!(
                "CreateGovCloudAccount: the account was created with CreateGovCloudAccount {was}; a paired GovCloud account can only be made at creation. Set CreateGovCloudAccount back to {was}."
            )));
        }
    }
    Ok(())
}

/// The tags a template declared, by key: its resource tags over the stack's tags (system and
/// bookkeeping keys are never the template's).
pub fn declared_values(
    template: &ResourceModel,
    stack_tags: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    stack_tags
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(
            template
                .tags
                .iter()
                .flatten()
                .map(|t| (t.key.clone(), t.value.clone())),
        )
        .filter(|(k, _)| !crate::vocab::model::is_reserved_tag_key(k))
        .collect()
}

/// Tags to set (new or changed values) and keys to remove: only keys the previous template
/// declared and the desired one does not, and only while they still hold the value that template
/// gave them. Tags other tools put on the account, or changed since, stay.
pub fn tag_diff(
    desired: &BTreeMap<String, String>,
    live: &BTreeMap<String, String>,
    declared_before: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let set = desired
        .iter()
        .filter(|(k, v)| live.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = live
        .iter()
        .filter(|(k, v)| declared_before.get(*k) == Some(*v) && !desired.contains_key(*k))
        .map(|(k, _)| k.clone())
        .collect();
    (set, remove)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn desired(extra: serde_json::Value) -> DesiredAccount {
        let mut v = json!({"AccountName": "Team A", "Email": "team-a@example.com"});
        for (k, val) in extra.as_object().unwrap() {
            v[k] = val.clone();
        }
        DesiredAccount::from_properties(Some(&v)).unwrap()
    }

    fn live() -> AccountView {
        AccountView {
            id: AccountId::parse("111122223333").unwrap(),
            name: Some("Team A".into()),
            email: Some("Team-A@Example.com".into()),
            arn: None,
            joined_method: None,
            joined_timestamp: None,
            joined_at: None,
            status: Some("ACTIVE".into()),
            state: Some("ACTIVE".into()),
        }
    }

    fn recorded(role: &str) -> Bookkeeping {
        Bookkeeping {
            resource: Some("abc".into()),
            role_name: Some(role.into()),
            billing: Some("ALLOW".into()),
            gov_cloud_account_id: None,
            deletion: None,
            origin: None,
            followed: None,
        }
    }

    #[test]
    fn update_fails_not_updatable_when_account_name_differs_from_live_account() {
        let e = check_immutable(
            &desired(json!({"AccountName": "Team B"})),
            &live(),
            &recorded(DEFAULT_ROLE_NAME),
            &ResourceModel::default(),
            false,
        )
        .unwrap_err();
        assert_eq!(
            e.code(),
            crate::vocab::error_code::HandlerErrorCode::NotUpdatable
        );
        assert!(
            e.to_string()
                .starts_with("AccountName: cannot change from \"Team A\" to \"Team B\""),
            "{e}"
        );
    }

    #[test]
    fn rollback_after_rejected_name_change_succeeds_because_live_name_matches() {
        // The rejected update left the live name alone; the rollback asks for that same name,
        // while the "previous" template is the rejected one.
        let previous = ResourceModel {
            account_name: Some("Team B".into()),
            ..Default::default()
        };
        check_immutable(
            &desired(json!({})),
            &live(),
            &recorded(DEFAULT_ROLE_NAME),
            &previous,
            true,
        )
        .unwrap();
    }

    #[test]
    fn email_is_compared_case_insensitively() {
        check_immutable(
            &desired(json!({})),
            &live(),
            &recorded(DEFAULT_ROLE_NAME),
            &ResourceModel::default(),
            false,
        )
        .unwrap();
        let e = check_immutable(
            &desired(json!({"Email": "other@example.com"})),
            &live(),
            &recorded(DEFAULT_ROLE_NAME),
            &ResourceModel::default(),
            false,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("Email: cannot change"), "{e}");
    }

    #[test]
    fn role_name_change_is_rejected_against_the_recorded_role_and_its_rollback_succeeds() {
        let e = check_immutable(
            &desired(json!({"RoleName": "Other"})),
            &live(),
            &recorded("Admin"),
            &ResourceModel {
                role_name: Some("Admin".into()),
                ..Default::default()
            },
            false,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("RoleName: the account was created with role \"Admin\""),
            "{e}"
        );
        // Rollback: desired is the original, previous is the rejected template.
        let previous = ResourceModel {
            account_name: Some("Team A".into()),
            role_name: Some("Other".into()),
            ..Default::default()
        };
        check_immutable(
            &desired(json!({"RoleName": "Admin"})),
            &live(),
            &recorded("Admin"),
            &previous,
            false,
        )
        .unwrap();
    }

    #[test]
    fn role_name_of_unrecorded_account_uses_previous_template_unless_rolling_back() {
        let previous = ResourceModel {
            account_name: Some("Team A".into()),
            ..Default::default()
        };
        let e = check_immutable(
            &desired(json!({"RoleName": "Other"})),
            &live(),
            &Bookkeeping::default(),
            &previous,
            false,
        );
        assert!(e.is_err());
        check_immutable(
            &desired(json!({"RoleName": "Other"})),
            &live(),
            &Bookkeeping::default(),
            &previous,
            true,
        )
        .unwrap();
    }

    #[test]
    fn billing_and_govcloud_cannot_change_after_creation() {
        let e = check_immutable(
            &desired(json!({"IamUserAccessToBilling": "DENY"})),
            &live(),
            &recorded(DEFAULT_ROLE_NAME),
            &ResourceModel::default(),
            false,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("IamUserAccessToBilling:"), "{e}");
        let e = check_immutable(
            &desired(json!({"CreateGovCloudAccount": true})),
            &live(),
            &recorded(DEFAULT_ROLE_NAME),
            &ResourceModel::default(),
            false,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("CreateGovCloudAccount:"), "{e}");
    }

    #[test]
    fn tag_diff_removes_only_keys_the_previous_template_declared_still_holding_its_value() {
        let desired = BTreeMap::from([
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "2".to_string()),
        ]);
        let live = BTreeMap::from([
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "old".to_string()),
            ("c".to_string(), "3".to_string()),
            ("cost-allocation".to_string(), "finance".to_string()),
            ("owner".to_string(), "set-by-hand".to_string()),
        ]);
        // The previous template declared b, c and owner (a rollback's "previous" is the failed
        // template, which may never have written its values).
        let declared_before = BTreeMap::from([
            ("b".to_string(), "old".to_string()),
            ("c".to_string(), "3".to_string()),
            ("owner".to_string(), "platform".to_string()),
        ]);
        let (set, remove) = tag_diff(&desired, &live, &declared_before);
        assert_eq!(set, BTreeMap::from([("b".to_string(), "2".to_string())]));
        // c was the template's, still as it set it, and is gone from it; owner holds another
        // value than the template gave it; cost-allocation was never the template's.
        assert_eq!(remove, vec!["c".to_string()]);
    }

    #[test]
    fn removed_contacts_carry_what_the_previous_template_declared() {
        let contact = |name: &str| Contact {
            name: name.into(),
            title: "t".into(),
            email_address: "x@example.com".into(),
            phone_number: "1".into(),
        };
        let mut previous = AlternateContacts::default();
        previous.set(ContactType::Security, Some(contact("Sec")));
        previous.set(ContactType::Billing, Some(contact("Bill")));
        let mut desired = AlternateContacts::default();
        desired.set(ContactType::Billing, Some(contact("Bill 2")));
        assert_eq!(
            removed_contacts(Some(&desired), Some(&previous)),
            vec![(ContactType::Security, contact("Sec"))]
        );
        assert!(removed_contacts(Some(&desired), None).is_empty());
    }

    #[test]
    fn the_record_and_other_tools_tags_count_against_fifty_before_any_call() {
        let id = AccountId::parse("111122223333").unwrap();
        let live: BTreeMap<String, String> =
            (0..49).map(|i| (format!("tool-{i}"), "x".into())).collect();
        let set = BTreeMap::from([
            ("team".to_string(), "web".to_string()),
            (TAG_RECORD.to_string(), "v1 deletion=REFUSE".to_string()),
        ]);
        // An imported account: 49 tags, no record; the update adds a tag and the record.
        let e = check_tag_total(&id, 49, false, &live, &set, &[]).unwrap_err();
        assert_eq!(
            e.code(),
            crate::vocab::error_code::HandlerErrorCode::InvalidRequest
        );
        assert!(
            e.to_string()
                .starts_with("Tags: account 111122223333 already has 49 tags")
                && e.to_string().contains("would have 51")
                && e.to_string().contains("remove 1 tag(s)"),
            "{e}"
        );
        // A record already there replaces itself; a removed key makes room.
        check_tag_total(&id, 50, true, &live, &set, &["tool-0".to_string()]).unwrap();
        // Only the record added: 50 in all is allowed.
        let record_only = BTreeMap::from([(TAG_RECORD.to_string(), "v1".to_string())]);
        check_tag_total(&id, 49, false, &live, &record_only, &[]).unwrap();
        // Changing a value adds nothing.
        let changed = BTreeMap::from([("tool-3".to_string(), "y".to_string())]);
        check_tag_total(&id, 50, true, &live, &changed, &[]).unwrap();
        // Declaring something inside the account adds the record of what it held there.
        let before = BTreeMap::from([(TAG_BEFORE.to_string(), String::new())]);
        assert!(check_tag_total(&id, 50, true, &live, &before, &[]).is_err());
    }

    #[test]
    fn what_the_previous_template_declared_inside_and_this_one_does_not_is_put_back() {
        let previous = ResourceModel {
            account_alias: Some("acme-old".into()),
            ebs_encryption_by_default: Some(true),
            s3_block_public_access: Some(false),
            ..ResourceModel::default()
        };
        let desired = DesiredAccount::from_properties(Some(&serde_json::json!({
            "AccountName": "A", "Email": "a@example.com", "S3BlockPublicAccess": false
        })))
        .unwrap();
        assert_eq!(
            undeclared_inside(&desired, &previous),
            Undeclared {
                alias: Some("acme-old".into()),
                ebs_encryption: Some(true),
                block_public_access: None,
            }
        );
    }

    #[test]
    fn declared_values_are_resource_over_stack_tags_without_system_ones() {
        let previous = ResourceModel {
            tags: Some(vec![crate::vocab::model::Tag {
                key: "team".into(),
                value: "a".into(),
            }]),
            ..Default::default()
        };
        let stack = BTreeMap::from([
            ("cost-centre".to_string(), "1".to_string()),
            ("team".to_string(), "stack".to_string()),
            ("aws:cloudformation:stack-name".to_string(), "s".to_string()),
        ]);
        assert_eq!(
            declared_values(&previous, &stack),
            BTreeMap::from([
                ("cost-centre".to_string(), "1".to_string()),
                ("team".to_string(), "a".to_string())
            ])
        );
    }

    #[test]
    fn rollback_after_an_outside_rename_is_accepted_without_change() {
        // The live account was renamed to "Team B" outside CloudFormation and the template
        // followed; a later failure rolls back to the template that still says "Team A".
        let mut renamed = live();
        renamed.name = Some("Team B".into());
        renamed.email = Some("b@example.com".into());
        let previous = ResourceModel {
            account_name: Some("Team B".into()),
            ..Default::default()
        };
        check_immutable(
            &desired(json!({})),
            &renamed,
            &recorded(DEFAULT_ROLE_NAME),
            &previous,
            true,
        )
        .unwrap();
        // Not a rollback: the same request is a rename, rejected.
        assert!(check_immutable(
            &desired(json!({})),
            &renamed,
            &recorded(DEFAULT_ROLE_NAME),
            &previous,
            false
        )
        .is_err());
    }

    /// A template's name and e-mail (team-a@example.com), as the previous model carries them.
    fn declared(name: &str) -> ResourceModel {
        ResourceModel {
            account_name: Some(name.into()),
            email: Some("team-a@example.com".into()),
            ..Default::default()
        }
    }

    #[test]
    fn an_update_that_leaves_the_name_alone_is_accepted_after_an_outside_rename() {
        // Renamed to "Team B" outside; the template still says "Team A" and changes a tag. Its
        // rollback (custom resources: no flag) asks for the same, and must not fail either.
        let mut renamed = live();
        renamed.name = Some("Team B".into());
        let previous = declared("Team A");
        check_immutable(
            &desired(json!({})),
            &renamed,
            &recorded(DEFAULT_ROLE_NAME),
            &previous,
            false,
        )
        .unwrap();
        assert_eq!(
            followed_outside_change(&desired(json!({})), &renamed, &previous),
            None
        );
    }

    #[test]
    fn the_rollback_of_following_an_outside_rename_is_recognised_without_the_flag() {
        let mut renamed = live();
        renamed.name = Some("Team B".into());
        let was_a = declared("Team A");
        // The template follows the rename: accepted, and the record remembers "Team A".
        let follow = desired(json!({"AccountName": "Team B"}));
        check_immutable(
            &follow,
            &renamed,
            &recorded(DEFAULT_ROLE_NAME),
            &was_a,
            false,
        )
        .unwrap();
        let mut book = recorded(DEFAULT_ROLE_NAME);
        book.followed = followed_outside_change(&follow, &renamed, &was_a);
        assert!(book.followed.is_some());
        // A sibling fails; the rollback asks for "Team A" again, the failed template saying "Team B".
        let was_b = declared("Team B");
        check_immutable(&desired(json!({})), &renamed, &book, &was_b, false).unwrap();
        // A name never declared before is a rename, rejected with or without the record.
        let other = desired(json!({"AccountName": "Team C"}));
        let e = check_immutable(&other, &renamed, &book, &was_b, false).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("AccountName: cannot change from \"Team B\""),
            "{e}"
        );
        // Without the record, asking for "Team A" again is a rename too.
        assert!(check_immutable(
            &desired(json!({})),
            &renamed,
            &recorded(DEFAULT_ROLE_NAME),
            &was_b,
            false
        )
        .is_err());
    }
}
