//! The inside of an account, done as the account itself (its RoleName assumed, which only the
//! account's proof allows): default VPCs deleted, the IAM alias, EBS encryption by default and
//! S3 Block Public Access. CREATE and UPDATE each run it as one stage (after the Regions have
//! arrived, so a Region the template enables gets the same treatment), READ reads it back.
//!
//! Regions run side by side, each one's work in order: default VPC -> its network interfaces
//! (any: the VPC is in use, left whole, and the stage fails naming it) -> its internet gateways
//! detached and deleted -> its subnets -> the VPC (its route table, network ACL and security
//! group go with it); then EBS encryption. Every step reads first and deletes only what is
//! there, and a delete of something already gone succeeds, so a pass cut short by the
//! invocation's budget, or run again by a re-delivered callback, simply goes on. Regions a pass
//! finished travel to the next as a hint (they are skipped); READ checks every Region anyway.
//!
//! Before the first change to the alias, Block Public Access or encryption, what the account
//! held is recorded on it (vocab/before.rs). A template that stops declaring one, and so the
//! rollback of the update that declared it, puts it back as recorded, and only where the
//! account still holds what the previous template declared (a change made by hand since is
//! left alone); the entry then leaves the record.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::account::step::Invocation;
use crate::aws::ec2::{Ec2, Interface};
use crate::aws::ownership::Owned;
use crate::aws::session::AccountSession;
use crate::aws::sts::Assumed;
use crate::vocab::baseline::RegionName;
use crate::vocab::before::{Before, Blocks, EbsBefore, Undeclared, TAG_BEFORE};
use crate::vocab::error::HandlerError;
use crate::vocab::inside::{AccountAlias, Inside, InsideView, Named};
use crate::vocab::model::MAX_ACCOUNT_TAGS;

/// Kept free of a pass's budget to answer CloudFormation.
const ANSWER_ALLOWANCE: Duration = Duration::from_secs(3);

/// Where the inside of an account stands after one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Everything declared is done: a summary (calls and time per Region).
    Done(String),
    /// Some Regions were not finished within the invocation: those done, and those left.
    Pending {
        settled: BTreeSet<RegionName>,
        left: Vec<RegionName>,
    },
}

/// A default VPC with something in it: left whole.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InUse {
    vpc: String,
    interfaces: Vec<Interface>,
}

/// What one Region's pass came to.
struct RegionPass {
    region: RegionName,
    calls: u32,
    took: Duration,
    outcome: Result<Option<InUse>, HandlerError>,
}

/// What one pass of the stage came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pass {
    /// The role was assumed and the pass ran.
    Ran(Progress),
    /// The role cannot be assumed yet (a fresh account): what it answered.
    NotYet(String),
}

/// Assumes `role_name` in the proven account, then one pass of `apply`.
pub async fn pass(
    inv: &Invocation<'_>,
    owned: &Owned,
    partition: &str,
    role_name: &str,
    declared: &Inside,
    undeclared: &Undeclared,
    settled: &BTreeSet<RegionName>,
) -> Result<Pass, HandlerError> {
    match inv.sts.assume(partition, owned, role_name).await? {
        Assumed::Session(session) => apply(inv, owned, &session, declared, undeclared, settled)
            .await
            .map(Pass::Ran),
        Assumed::NotYet(why) => Ok(Pass::NotYet(why)),
    }
}

/// One pass: what the account held before recorded (once, before the first change), the
/// account-wide settings, then every enabled Region not yet settled, side by side, for as long
/// as the invocation allows. `undeclared`: what the previous template declared and this one
/// does not, put back as the record says while the account still holds what was declared.
pub async fn apply(
    inv: &Invocation<'_>,
    owned: &Owned,
    session: &AccountSession,
    declared: &Inside,
    undeclared: &Undeclared,
    settled: &BTreeSet<RegionName>,
) -> Result<Progress, HandlerError> {
    let needs_regions = declared.regional()
        || (undeclared.ebs_encryption.is_some() && owned.before().ebs.is_some());
    let enabled = match needs_regions {
        true => enabled_regions(session).await?,
        false => Vec::new(),
    };
    let before = record_before(inv, owned, session, declared, &enabled).await?;
    account_wide(session, declared, undeclared, &before).await?;
    let ebs = match (
        declared.ebs_encryption,
        undeclared.ebs_encryption,
        &before.ebs,
    ) {
        (Some(on), _, _) => Some(Ebs::Set(on)),
        (None, Some(was), Some(record)) => Some(Ebs::PutBack {
            was,
            record: record.clone(),
        }),
        // Nothing recorded (the template's change never started): nothing to put back.
        (None, Some(_), None) | (None, None, _) => None,
    };
    if !declared.delete_default_vpcs && ebs.is_none() {
        forget_put_back(inv, owned, declared, &before).await?;
        return Ok(Progress::Done(String::new()));
    }
    let mut tasks = JoinSet::new();
    for region in enabled.iter().filter(|r| !settled.contains(r)) {
        let ec2 = session.ec2(region);
        let ebs = ebs.as_ref().and_then(|e| e.in_region(region));
        let (region, vpcs) = (region.clone(), declared.delete_default_vpcs);
        tasks.spawn(async move { region_pass(ec2, region, vpcs, ebs).await });
    }
    let allowed = inv.budget.remaining().saturating_sub(ANSWER_ALLOWANCE);
    let deadline = Instant::now() + allowed;
    let mut passes = Vec::new();
    while let Ok(Some(joined)) = tokio::time::timeout_at(deadline, tasks.join_next()).await {
        match joined {
            Ok(pass) => passes.push(pass),
            Err(e) => {
                return Err(HandlerError::InternalFailure(format!(
                    "a Region's pass inside the account stopped: {e}"
                )))
            }
        }
    }
    // Regions still under way when the budget ends are dropped mid-pass: the next pass reads
    // what they left and goes on.
    tasks.abort_all();
    let mut now_settled = settled.clone();
    let mut in_use = Vec::new();
    let mut failure = None;
    let mut summary = Vec::new();
    passes.sort_by(|a, b| a.region.cmp(&b.region));
    for pass in passes {
        tracing::info!(region = %pass.region, calls = pass.calls, took_ms = pass.took.as_millis() as u64, ok = pass.outcome.is_ok(), "inside the account: Region pass");
        summary.push(format!(
            "{} {} calls {:.1} s",
            pass.region,
            pass.calls,
            pass.took.as_secs_f64()
        ));
        match pass.outcome {
            Ok(None) => {
                now_settled.insert(pass.region);
            }
            Ok(Some(used)) => in_use.push((pass.region, used)),
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    if !in_use.is_empty() {
        return Err(HandlerError::ResourceConflict(in_use_message(
            session.account().as_str(),
            &in_use,
        )));
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let left: Vec<RegionName> = enabled
        .into_iter()
        .filter(|r| !now_settled.contains(r))
        .collect();
    if !left.is_empty() {
        return Ok(Progress::Pending {
            settled: now_settled,
            left,
        });
    }
    forget_put_back(inv, owned, declared, &before).await?;
    Ok(Progress::Done(summary.join(", ")))
}

/// EBS encryption by default, as one pass treats it.
#[derive(Debug, Clone)]
enum Ebs {
    /// The template declares it: on or off in every enabled Region.
    Set(bool),
    /// The previous template declared `was`; each Region still so goes back to the record.
    PutBack { was: bool, record: EbsBefore },
}

/// What one Region's encryption needs.
#[derive(Debug, Clone, Copy)]
enum RegionEbs {
    Set(bool),
    /// To `to`, only if it is still `was`.
    PutBack {
        was: bool,
        to: bool,
    },
}

impl Ebs {
    fn in_region(&self, region: &RegionName) -> Option<RegionEbs> {
        match self {
            Ebs::Set(on) => Some(RegionEbs::Set(*on)),
            Ebs::PutBack { was, record } => {
                let to = record.was_on(region);
                (to != *was).then_some(RegionEbs::PutBack { was: *was, to })
            }
        }
    }
}

/// The record of what the account held before, with an entry for every property the template
/// declares: entries it lacks are read from the account and written (one TagResource) before
/// anything is changed, so a failure at any later point leaves it for the rollback. An entry
/// already there is kept: it says what the account held before a template first declared it.
async fn record_before(
    inv: &Invocation<'_>,
    owned: &Owned,
    session: &AccountSession,
    declared: &Inside,
    enabled: &[RegionName],
) -> Result<Before, HandlerError> {
    let mut before = owned.before().clone();
    let alias = declared.alias.is_some() && before.alias.is_none();
    let blocks = declared.block_public_access.is_some() && before.blocks.is_none();
    let ebs = declared.ebs_encryption.is_some() && before.ebs.is_none();
    if !(alias || blocks || ebs) {
        return Ok(before);
    }
    if alias {
        before.alias = Some(session.iam().alias().await?);
    }
    if blocks {
        before.blocks = Some(session.s3control().blocks().await?);
    }
    if ebs {
        before.ebs = Some(EbsBefore::from_states(&ebs_states(session, enabled).await?));
    }
    let value = before.encode()?;
    if !owned.has_before() && owned.tag_count() >= MAX_ACCOUNT_TAGS {
        return Err(HandlerError::InvalidRequest(format!(
            "Account {}: already has {} tags, and recording what it holds inside before the template changes it (tag {TAG_BEFORE}, so that removing the property or a rollback puts it back) needs one more; Organizations allows {MAX_ACCOUNT_TAGS}. Remove a tag from the account outside CloudFormation, or from the template, then run the stack operation again. Nothing was changed inside the account",
            owned.id(),
            owned.tag_count()
        )));
    }
    inv.org
        .tag(owned, &BTreeMap::from([(TAG_BEFORE.to_owned(), value)]))
        .await?;
    Ok(before)
}

/// Each enabled Region's EBS encryption by default, read side by side.
async fn ebs_states(
    session: &AccountSession,
    enabled: &[RegionName],
) -> Result<Vec<(RegionName, bool)>, HandlerError> {
    let mut tasks = JoinSet::new();
    for region in enabled {
        let (ec2, region) = (session.ec2(region), region.clone());
        tasks.spawn(async move { ec2.ebs_encryption().await.map(|on| (region, on)) });
    }
    let mut states = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        states.push(joined.map_err(|e| {
            HandlerError::InternalFailure(format!(
                "a Region's read inside the account stopped: {e}"
            ))
        })??);
    }
    Ok(states)
}

/// Once a pass is done, entries for properties the template no longer declares have been put
/// back (or the account no longer held what was declared): they leave the record, and the
/// record's tag goes when nothing is left in it.
async fn forget_put_back(
    inv: &Invocation<'_>,
    owned: &Owned,
    declared: &Inside,
    before: &Before,
) -> Result<(), HandlerError> {
    let kept = Before {
        alias: before.alias.clone().filter(|_| declared.alias.is_some()),
        blocks: before
            .blocks
            .filter(|_| declared.block_public_access.is_some()),
        ebs: before
            .ebs
            .clone()
            .filter(|_| declared.ebs_encryption.is_some()),
    };
    match (&kept == before, kept.is_empty()) {
        (true, _) => Ok(()),
        (false, true) => inv.org.untag(owned, &[TAG_BEFORE.to_owned()]).await,
        (false, false) => {
            inv.org
                .tag(
                    owned,
                    &BTreeMap::from([(TAG_BEFORE.to_owned(), kept.encode()?)]),
                )
                .await
        }
    }
}

fn in_use_message(account: &str, in_use: &[(RegionName, InUse)]) -> String {
    let each: Vec<String> = in_use
        .iter()
        .map(|(region, used)| {
            let interfaces: Vec<String> = used
                .interfaces
                .iter()
                .map(|i| format!("{} ({})", i.id, i.what))
                .collect();
            format!(
                "{region}: default VPC {} holds network interfaces {}",
                used.vpc,
                interfaces.join(", ")
            )
        })
        .collect();
    format!(
        "DeleteDefaultVpcs: account {account} has a default VPC in use, so it was left whole and nothing in its Region was deleted; {}. Delete what uses it (or move it to another VPC), then run the stack operation again; or remove DeleteDefaultVpcs",
        each.join("; ")
    )
}

/// The alias and the account-level Block Public Access: read, and changed only where they
/// differ from the template; one the template stopped declaring goes back to the record while
/// the account still holds what the previous template declared.
async fn account_wide(
    session: &AccountSession,
    declared: &Inside,
    undeclared: &Undeclared,
    before: &Before,
) -> Result<(), HandlerError> {
    if declared.alias.is_some() || undeclared.alias.is_some() {
        let iam = session.iam();
        let live = iam.alias().await?;
        match (&declared.alias, &undeclared.alias, &before.alias) {
            (Some(alias), _, _) if live.as_deref() != Some(alias.as_str()) => {
                iam.set_alias(alias).await?
            }
            (Some(_), _, _) => {}
            (None, Some(was), record) if live.as_deref() == Some(was.as_str()) => match record {
                Some(Some(old)) if old != was => iam.set_alias(&AccountAlias::parse(old)?).await?,
                Some(Some(_)) => {}
                // None recorded: the alias was the template's alone.
                Some(None) | None => iam.delete_alias(was).await?,
            },
            (None, _, _) => {}
        }
    }
    if declared.block_public_access.is_some() || undeclared.block_public_access.is_some() {
        let s3 = session.s3control();
        let live = s3.blocks().await?;
        let as_declared = |on: bool| match on {
            true => Some(Blocks::ALL),
            false => None,
        };
        let wanted = match (
            declared.block_public_access,
            undeclared.block_public_access,
            &before.blocks,
        ) {
            (Some(on), _, _) => Some(as_declared(on)),
            (None, Some(was), Some(record)) if live == as_declared(was) => Some(*record),
            // Changed since, or nothing recorded: left as it is.
            (None, Some(_), _) | (None, None, _) => None,
        };
        match wanted {
            Some(wanted) if wanted == live => {}
            Some(Some(blocks)) => s3.put(blocks).await?,
            Some(None) => s3.unblock().await?,
            None => {}
        }
    }
    Ok(())
}

/// The Regions enabled for the account, as the account sees them.
async fn enabled_regions(session: &AccountSession) -> Result<Vec<RegionName>, HandlerError> {
    let mut regions = Vec::new();
    for name in session.ec2(session.home()).enabled_regions().await? {
        match RegionName::parse(&name) {
            Ok(region) => regions.push(region),
            Err(_) => {
                tracing::warn!(region = %name, "EC2 named a Region this handler cannot read; skipped")
            }
        }
    }
    regions.sort();
    Ok(regions)
}

async fn region_pass(
    ec2: Ec2,
    region: RegionName,
    delete_vpcs: bool,
    ebs: Option<RegionEbs>,
) -> RegionPass {
    let started = Instant::now();
    let mut calls = 0u32;
    let outcome = async {
        let mut in_use = None;
        if delete_vpcs {
            calls += 1;
            for vpc in ec2.default_vpcs().await? {
                calls += 1;
                let interfaces = ec2.interfaces_in(&vpc).await?;
                if !interfaces.is_empty() {
                    in_use = Some(InUse { vpc, interfaces });
                    break;
                }
                calls += 1;
                for gateway in ec2.gateways_of(&vpc).await? {
                    calls += 2;
                    ec2.delete_gateway(&gateway, &vpc).await?;
                }
                calls += 1;
                for subnet in ec2.subnets_of(&vpc).await? {
                    calls += 1;
                    ec2.delete_subnet(&subnet).await?;
                }
                calls += 1;
                ec2.delete_vpc(&vpc).await?;
            }
        }
        if let Some(ebs) = ebs {
            calls += 1;
            let live = ec2.ebs_encryption().await?;
            let to = match ebs {
                RegionEbs::Set(on) => on,
                // Changed since the template set it: left as it is.
                RegionEbs::PutBack { was, to } if live == was => to,
                RegionEbs::PutBack { .. } => live,
            };
            if live != to {
                calls += 1;
                ec2.set_ebs_encryption(to).await?;
            }
        }
        Ok(in_use)
    }
    .await;
    RegionPass {
        region,
        calls,
        took: started.elapsed(),
        outcome,
    }
}

/// The live state of what a model names, as READ reports it: default VPCs and encryption in
/// every enabled Region (side by side), the alias, the account's Block Public Access.
pub async fn live(session: &AccountSession, named: Named) -> Result<InsideView, HandlerError> {
    let mut view = InsideView::default();
    if named.alias {
        view.alias = Some(session.iam().alias().await?);
    }
    if named.block_public_access {
        view.block_public_access = Some(
            session
                .s3control()
                .blocks()
                .await?
                .is_some_and(Blocks::all_on),
        );
    }
    if !named.regional() {
        return Ok(view);
    }
    let (vpcs, ebs) = (named.default_vpcs, named.ebs_encryption);
    let mut tasks = JoinSet::new();
    for region in enabled_regions(session).await? {
        let ec2 = session.ec2(&region);
        tasks.spawn(async move {
            let vpc_gone = match vpcs {
                true => ec2.default_vpcs().await?.is_empty(),
                false => true,
            };
            let encrypted = match ebs {
                true => ec2.ebs_encryption().await?,
                false => true,
            };
            Ok::<_, HandlerError>((vpc_gone, encrypted))
        });
    }
    let (mut none_left, mut all_encrypted) = (true, true);
    while let Some(joined) = tasks.join_next().await {
        let (vpc_gone, encrypted) = joined.map_err(|e| {
            HandlerError::InternalFailure(format!(
                "a Region's read inside the account stopped: {e}"
            ))
        })??;
        none_left &= vpc_gone;
        all_encrypted &= encrypted;
    }
    view.default_vpcs_deleted = vpcs.then_some(none_left);
    view.ebs_encryption = ebs.then_some(all_encrypted);
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_vpc_in_use_is_named_with_its_account_region_and_interfaces() {
        let used = InUse {
            vpc: "vpc-1".into(),
            interfaces: vec![
                Interface {
                    id: "eni-1".into(),
                    what: "an instance".into(),
                },
                Interface {
                    id: "eni-2".into(),
                    what: "nat_gateway".into(),
                },
            ],
        };
        let region = RegionName::parse("eu-west-1").unwrap();
        let message = in_use_message("111122223333", &[(region, used)]);
        assert!(
            message.starts_with("DeleteDefaultVpcs: account 111122223333 has a default VPC in use"),
            "{message}"
        );
        assert!(
            message.contains(
                "eu-west-1: default VPC vpc-1 holds network interfaces eni-1 (an instance), eni-2 (nat_gateway)"
            ),
            "{message}"
        );
    }
}
