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

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::account::step::Invocation;
use crate::aws::ec2::{Ec2, Interface};
use crate::aws::ownership::Owned;
use crate::aws::session::AccountSession;
use crate::aws::sts::Assumed;
use crate::vocab::baseline::RegionName;
use crate::vocab::error::HandlerError;
use crate::vocab::inside::{Inside, InsideView, Named};

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
    removed_alias: Option<&str>,
    settled: &BTreeSet<RegionName>,
) -> Result<Pass, HandlerError> {
    match inv.sts.assume(partition, owned, role_name).await? {
        Assumed::Session(session) => apply(inv, &session, declared, removed_alias, settled)
            .await
            .map(Pass::Ran),
        Assumed::NotYet(why) => Ok(Pass::NotYet(why)),
    }
}

/// One pass: the account-wide settings, then every enabled Region not yet settled, side by
/// side, for as long as the invocation allows. `removed_alias` is the alias the previous
/// template declared and this one does not: deleted while the account still has it.
pub async fn apply(
    inv: &Invocation<'_>,
    session: &AccountSession,
    declared: &Inside,
    removed_alias: Option<&str>,
    settled: &BTreeSet<RegionName>,
) -> Result<Progress, HandlerError> {
    account_wide(session, declared, removed_alias).await?;
    if !declared.regional() {
        return Ok(Progress::Done(String::new()));
    }
    let enabled = enabled_regions(session).await?;
    let mut tasks = JoinSet::new();
    for region in enabled.iter().filter(|r| !settled.contains(r)) {
        let ec2 = session.ec2(region);
        let (region, vpcs, ebs) = (
            region.clone(),
            declared.delete_default_vpcs,
            declared.ebs_encryption,
        );
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
    Ok(match left.is_empty() {
        true => Progress::Done(summary.join(", ")),
        false => Progress::Pending {
            settled: now_settled,
            left,
        },
    })
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
/// differ from the template.
async fn account_wide(
    session: &AccountSession,
    declared: &Inside,
    removed_alias: Option<&str>,
) -> Result<(), HandlerError> {
    if declared.alias.is_some() || removed_alias.is_some() {
        let iam = session.iam();
        let live = iam.alias().await?;
        match (&declared.alias, removed_alias) {
            (Some(alias), _) if live.as_deref() != Some(alias.as_str()) => {
                iam.set_alias(alias).await?
            }
            (Some(_), _) => {}
            // Only while it is still what the previous template declared.
            (None, Some(was)) if live.as_deref() == Some(was) => iam.delete_alias(was).await?,
            (None, _) => {}
        }
    }
    if let Some(on) = declared.block_public_access {
        let s3 = session.s3control();
        if s3.all_blocked().await? != on {
            match on {
                true => s3.block_all().await?,
                false => s3.unblock().await?,
            }
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
    ebs: Option<bool>,
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
        if let Some(on) = ebs {
            calls += 1;
            if ec2.ebs_encryption().await? != on {
                calls += 1;
                ec2.set_ebs_encryption(on).await?;
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
        view.block_public_access = Some(session.s3control().all_blocked().await?);
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
