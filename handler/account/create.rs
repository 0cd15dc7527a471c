//! CREATE, in stages:
//! startCreate -> look at the creations in progress; CreateAccount (or CreateGovCloudAccount)
//!   only when one of Organizations' 5 slots is free, never repeated blindly
//! findOwnRequest -> CreateAccount's answer was lost: find the request before creating again
//! awaitCreation -> poll DescribeCreateAccountStatus
//! placeAccount -> check the account is this declaration's, record the GovCloud id, MoveAccount
//! then the baseline the template asks for, each part its own stage:
//! setContacts -> PutAlternateContact for each declared contact
//! convergeRegions -> EnableRegion / DisableRegion, polling GetRegionOptStatus until they arrive
//! awaitReady -> WaitUntilReady: AssumeRole + GetCallerIdentity until the account answers
//!   (implied by the in-account properties, which need the role)
//! configureInside -> as the account: default VPCs deleted, alias, EBS encryption, Block
//!   Public Access (inside.rs), every enabled Region side by side
//! describeCreated -> read the finished account back -> SUCCESS
//!
//! CloudFormation fails a create whose model lacks the primary identifier after 60 seconds
//! ("Resource timed out waiting for creation of physical resource", AWS Knowledge Center
//! cloudformation-physical-resource-error), and Organizations gives the AccountId only once
//! DescribeCreateAccountStatus says SUCCEEDED. So until the id is known, the first three stages
//! run one after another inside the invocation, polling every 1.5-2.5 s, for as long as the
//! invocation's budget allows. Once the id is known, each later stage is one callback.
//!
//! E-mail addresses are unique across AWS, so a request made twice for one declaration cannot
//! make two accounts: the second ends FAILED with EMAIL_ALREADY_EXISTS, and the owner of the
//! address is then looked up and adopted if this declaration created it (its record tag says
//! so). That is also how a create re-delivered without its callback context finds its account.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::account::backoff::{
    create_poll_delay, create_poll_wait, ready_poll_delay, region_poll_delay, retry_delay,
};
use crate::account::baseline::{self, Regions};
use crate::account::inside::{self, Pass, Progress};
use crate::account::pace::Pace;
use crate::account::stages::{Context, CreateStage, Stages};
use crate::account::step::{Invocation, Step};
use crate::account::{parent, preflight, read};
use crate::aws::organizations::CreateRequest;
use crate::aws::ownership::{Owned, Purpose};
use crate::aws::sts::Readiness;
use crate::aws::translate;
use crate::vocab::baseline::RegionName;
use crate::vocab::before::Undeclared;
use crate::vocab::error::{HandlerError, RetryClass};
use crate::vocab::model::{
    check_tags, AccountId, CreateAccountRequestId, CreateSettings, DesiredAccount, ResourceModel,
};
use crate::vocab::observed::{Bookkeeping, CreateState, CreateStatus, TAG_RECORD};

/// Where a CREATE stands.
type Ctx = Context<CreateStage>;

/// A freshly created account may take a little while to show in DescribeAccount.
const MAX_VISIBILITY_POLLS: u32 = 20;
/// Time a step should still have when it starts inside the invocation.
const STEP_ALLOWANCE: Duration = Duration::from_secs(2);
/// Kept free after a last look cut short by the budget, so that the look still fits.
const LAST_LOOK_MARGIN: Duration = Duration::from_millis(500);
/// Clock difference tolerated between this function and Organizations' RequestedTimestamp.
const CLOCK_SKEW_SECONDS: i64 = 10;
/// Organizations runs at most 5 account creations at once (a fixed quota); the next
/// CreateAccount is refused (ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED).
const MAX_CREATIONS_IN_FLIGHT: usize = 5;

pub async fn run(inv: &Invocation<'_>, ctx: &Ctx) -> Result<Step, HandlerError> {
    // Validation first: nothing reaches AWS unless the desired state is valid.
    let desired = inv.desired()?;
    check_tags(
        &desired.effective_tags(&inv.request.stack_tags),
        &inv.request.stack_tags,
        1 + usize::from(desired.inside.recorded()),
    )?;
    // The ids in the model a callback or hand-off carries are hints: an AccountId goes out (to
    // CloudFormation, a PhysicalResourceId, Data) only once its record was read and names this
    // declaration (`proven` below, or the check after the creation succeeded).
    let mut model = inv.incoming_model()?;
    model.account_id = None;
    model.gov_cloud_account_id = None;
    match &ctx.stage {
        CreateStage::StartCreate { settings } => {
            // What AWS would refuse only once the account exists is refused before the first
            // request (a retry of this stage has passed these checks already).
            if ctx.attempt == 0 {
                let parent = match &desired.parent {
                    Some(declared) => Some(parent::resolve(inv, declared).await?),
                    None => None,
                };
                preflight::check(inv, desired, parent.as_ref()).await?;
            }
            // The first call's properties still carry the write-only values; keep them.
            let settings = settings.clone().unwrap_or_else(|| desired.settings());
            let ctx = Ctx {
                attempt: ctx.attempt,
                ..Context::new(CreateStage::StartCreate {
                    settings: Some(settings),
                })
            };
            until_identified(inv, ctx, desired, model).await
        }
        CreateStage::FindOwnRequest { .. } | CreateStage::AwaitCreation { .. } => {
            until_identified(inv, ctx.clone(), desired, model).await
        }
        CreateStage::PlaceAccount {
            account_id,
            gov_cloud_account_id,
            settings,
        } => {
            place(
                inv,
                desired,
                model,
                account_id,
                gov_cloud_account_id.as_ref(),
                settings.clone().unwrap_or_else(|| desired.settings()),
            )
            .await
        }
        CreateStage::SetContacts {
            account_id,
            settings,
        } => {
            let owned = proven(inv, account_id, &mut model).await?;
            let contacts = desired.contacts.clone().unwrap_or_default();
            if let Err(e) = baseline::apply_contacts(inv, &owned, &contacts, &[]).await {
                return Err(baseline::explain_denial(inv, e).await);
            }
            let next = after(desired, Phase::Contacts, &owned, settings);
            Ok(Step::Continue {
                model,
                context: next.into(),
                delay: 1,
                message: format!("alternate contacts of account {account_id} set"),
            })
        }
        CreateStage::ConvergeRegions {
            account_id,
            settings,
        } => {
            let owned = proven(inv, account_id, &mut model).await?;
            match baseline::converge_regions(inv, &owned, &desired.regions).await {
                Ok(Regions::Settled) => {
                    let next = after(desired, Phase::Regions, &owned, settings);
                    Ok(Step::Continue {
                        model,
                        context: next.into(),
                        delay: 1,
                        message: format!("the Regions of account {account_id} are as declared"),
                    })
                }
                Ok(Regions::Pending(what)) => Ok(Step::Continue {
                    model,
                    context: ctx.again().into(),
                    delay: region_poll_delay(ctx.attempt),
                    message: format!("waiting for the Regions of account {account_id}: {what}"),
                }),
                Err(e) => Err(baseline::explain_denial(inv, e).await),
            }
        }
        CreateStage::AwaitReady {
            account_id,
            role_name,
            partition,
            minutes,
            until,
        } => {
            let owned = proven(inv, account_id, &mut model).await?;
            match inv.sts.readiness(partition, &owned, role_name).await? {
            Readiness::Usable if !desired.inside.is_empty() => Ok(Step::Continue {
                model,
                context: Context::new(CreateStage::ConfigureInside {
                    account_id: account_id.clone(),
                    role_name: role_name.clone(),
                    partition: partition.clone(),
                    minutes: *minutes,
                    until: *until,
                    settled: BTreeSet::new(),
                })
                .into(),
                delay: 1,
                message: format!("account {account_id} is ready to use; configuring it inside"),
            }),
            Readiness::Usable => Ok(Step::Continue {
                model,
                context: Context::new(CreateStage::DescribeCreated {
                    account_id: account_id.clone(),
                })
                .into(),
                delay: 1,
                message: format!("account {account_id} is ready to use"),
            }),
            Readiness::NotYet(why) if unix_now() < *until => Ok(Step::Continue {
                model,
                context: ctx.again().into(),
                delay: ready_poll_delay(ctx.attempt),
                message: format!("account {account_id} cannot be used yet ({why}); waiting"),
            }),
            Readiness::NotYet(why) => Err(HandlerError::NotStabilized(format!(
                "Account {account_id} was created, but could not be used within the {} minute(s) WaitUntilReady allows: assuming its role {role_name} still fails ({why}). The account exists; check that the caller may sts:AssumeRole arn:{partition}:iam::{account_id}:role/{role_name} and that the role trusts the management account, then run the stack operation again (this resource adopts the account it created), or raise ReadyTimeoutInMinutes",
                minutes
            ))),
        }
        }
        CreateStage::ConfigureInside {
            account_id,
            role_name,
            partition,
            minutes,
            until,
            settled,
        } => {
            let owned = proven(inv, account_id, &mut model).await?;
            let pass = inside::pass(
                inv,
                &owned,
                partition,
                role_name,
                &desired.inside,
                &Undeclared::default(),
                settled,
            )
            .await?;
            match pass {
                Pass::Ran(Progress::Done(summary)) => Ok(Step::Continue {
                    model,
                    context: Context::new(CreateStage::DescribeCreated {
                        account_id: account_id.clone(),
                    })
                    .into(),
                    delay: 1,
                    message: format!("account {account_id} configured inside ({summary})"),
                }),
                Pass::Ran(Progress::Pending { settled, left }) => Ok(Step::Continue {
                    model,
                    context: Context::new(CreateStage::ConfigureInside {
                        account_id: account_id.clone(),
                        role_name: role_name.clone(),
                        partition: partition.clone(),
                        minutes: *minutes,
                        until: *until,
                        settled,
                    })
                    .into(),
                    delay: 1,
                    message: format!(
                        "configuring account {account_id} inside; Regions left: {}",
                        names(&left)
                    ),
                }),
                Pass::NotYet(why) if unix_now() < *until => Ok(Step::Continue {
                    model,
                    context: ctx.again().into(),
                    delay: ready_poll_delay(ctx.attempt),
                    message: format!("account {account_id} cannot be used yet ({why}); waiting"),
                }),
                Pass::NotYet(why) => Err(HandlerError::NotStabilized(format!(
                    "Account {account_id} was created, but its role {role_name} could not be assumed within {minutes} minute(s) to configure it inside ({why}). The account exists; check that the caller may sts:AssumeRole arn:{partition}:iam::{account_id}:role/{role_name}, then run the stack operation again (this resource adopts the account it created), or raise ReadyTimeoutInMinutes"
                ))),
            }
        }
        CreateStage::DescribeCreated { account_id } => describe_created(inv, ctx, account_id).await,
    }
}

/// Region codes, for a message.
fn names(regions: &[RegionName]) -> String {
    regions
        .iter()
        .map(RegionName::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The account a later stage names, proven this declaration's (AccessDenied otherwise, with
/// nothing changed or returned); the model then carries its ids.
async fn proven(
    inv: &Invocation<'_>,
    account_id: &AccountId,
    model: &mut ResourceModel,
) -> Result<Owned, HandlerError> {
    let owned = inv.owned(account_id, Purpose::Creation).await?;
    tracing::Span::current().record("account_id", owned.id().as_str());
    model.account_id = Some(owned.id().to_string());
    model.gov_cloud_account_id = owned
        .book()
        .gov_cloud_account_id
        .clone()
        .filter(|g| !g.is_empty());
    Ok(owned)
}

/// The parts of the baseline after placement, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Placed,
    Contacts,
    Regions,
}

/// The stage after `done`: the next part of the baseline the template asks for, else reading
/// the account back.
fn after(desired: &DesiredAccount, done: Phase, owned: &Owned, settings: &CreateSettings) -> Ctx {
    let account_id = owned.id();
    let contacts = desired.contacts.as_ref().is_some_and(|c| !c.is_empty());
    if done < Phase::Contacts && contacts {
        return Context::new(CreateStage::SetContacts {
            account_id: account_id.clone(),
            settings: settings.clone(),
        });
    }
    if done < Phase::Regions && !desired.regions.is_empty() {
        return Context::new(CreateStage::ConvergeRegions {
            account_id: account_id.clone(),
            settings: settings.clone(),
        });
    }
    if let Some(minutes) = settings.ready_within_minutes {
        // The account's ARN names its partition (aws, aws-us-gov, aws-cn, ...), which the role's
        // ARN needs.
        return Context::new(CreateStage::AwaitReady {
            account_id: account_id.clone(),
            role_name: settings.role_name.clone(),
            partition: baseline::partition_of(owned.view().arn.as_deref()).to_owned(),
            minutes,
            // Counted from the account's creation, so that a stage rebuilt on every pass (each
            // CDK isComplete resumes from onEvent's stage) never moves the deadline.
            until: owned.view().joined_at.unwrap_or_else(unix_now) + i64::from(minutes) * 60,
        });
    }
    Context::new(CreateStage::DescribeCreated {
        account_id: account_id.clone(),
    })
}

/// What one stage before the identifier comes to.
enum Next {
    /// The AccountId is known (or the create is settled otherwise): answer CloudFormation.
    Identified(Step),
    /// The creation is in progress: poll again, after `wait` when the pace says when it should
    /// end, else after the usual poll interval.
    Poll {
        model: ResourceModel,
        context: Ctx,
        message: String,
        wait: Option<Duration>,
    },
    /// Refused for now: wait `wait` when the pace says how long, else the backoff of the
    /// error's class, then run `context` again.
    Retry {
        model: ResourceModel,
        context: Ctx,
        error: HandlerError,
        wait: Option<Duration>,
    },
    /// Go on to `context` at once.
    Go {
        model: ResourceModel,
        context: Ctx,
        message: String,
    },
}

/// Runs the stages before the identifier inside this invocation while its budget allows, then
/// hands the rest to CloudFormation's callback loop.
async fn until_identified(
    inv: &Invocation<'_>,
    mut ctx: Ctx,
    desired: &DesiredAccount,
    mut model: ResourceModel,
) -> Result<Step, HandlerError> {
    let mut pace = Pace::default();
    loop {
        let started = unix_now();
        let next = match tokio::time::timeout(
            inv.budget.remaining(),
            creation_step(inv, &ctx, desired, model.clone(), &mut pace),
        )
        .await
        {
            Ok(Ok(next)) => next,
            Ok(Err(e)) if e.retry_class().is_some() => Next::Retry {
                model: model.clone(),
                context: ctx.clone(),
                error: e,
                wait: None,
            },
            Ok(Err(e)) => return Err(e),
            // The budget ran out inside a call: its outcome is unknown.
            Err(_) => Next::Go {
                model: model.clone(),
                context: interrupted(&ctx, started),
                message: format!("step {} did not finish in time", ctx.stage.name()),
            },
        };
        // How long to wait before the next stage, and the callback that stands for it should the
        // budget not allow that wait here.
        // `paced`: the wait is the pace's prediction of when something should change.
        let (wait, paced, next_model, delay, next_ctx, message) = match next {
            Next::Identified(step) => return Ok(step),
            Next::Poll {
                model,
                context,
                message,
                wait,
            } => {
                let regular = create_poll_wait(context.attempt, inv.seed);
                let paced = wait.is_some_and(|w| w > regular);
                let wait = wait.map_or(regular, |w| w.max(regular));
                let delay = create_poll_delay(context.attempt).max(whole_seconds(wait));
                (wait, paced, model, delay, context, message)
            }
            Next::Retry {
                model,
                context,
                error,
                wait,
            } => {
                let (wait, paced, delay) = match wait {
                    Some(wait) => (wait, true, whole_seconds(wait)),
                    None => {
                        let class = error.retry_class().unwrap_or(RetryClass::Transient);
                        let delay = retry_delay(class, context.attempt, inv.seed);
                        (Duration::from_secs(delay.into()), false, delay)
                    }
                };
                (
                    wait,
                    paced,
                    model,
                    delay,
                    context.again(),
                    format!("waiting to try again: {error}"),
                )
            }
            Next::Go {
                model,
                context,
                message,
            } => (Duration::ZERO, false, model, 1, context, message),
        };
        // A prediction that reaches past the budget: one more look just before it ends (a slot
        // or the creation may come sooner than predicted), rather than none.
        let last_look = inv
            .budget
            .remaining()
            .saturating_sub(STEP_ALLOWANCE + LAST_LOOK_MARGIN);
        let wait = match paced && !inv.budget.allows(wait, STEP_ALLOWANCE) {
            true if last_look >= Duration::from_secs(1) => last_look,
            true | false => wait,
        };
        if !inv.budget.allows(wait, STEP_ALLOWANCE) {
            return Ok(Step::Continue {
                model: next_model,
                context: next_ctx.into(),
                delay,
                message,
            });
        }
        tracing::debug!(wait_ms = wait.as_millis() as u64, next = next_ctx.stage.name(), %message, "waiting inside the invocation");
        tokio::time::sleep(wait).await;
        model = next_model;
        ctx = next_ctx;
    }
}

/// Where to go on after a step was cut off by the budget: a CreateAccount whose answer never
/// came must be looked for before creating again; any other stage is safe to run again.
fn interrupted(ctx: &Ctx, started: i64) -> Ctx {
    match &ctx.stage {
        CreateStage::StartCreate {
            settings: Some(settings),
        } => Context::new(CreateStage::FindOwnRequest {
            settings: settings.clone(),
            since: started,
        }),
        _ => ctx.clone(),
    }
}

async fn creation_step(
    inv: &Invocation<'_>,
    ctx: &Ctx,
    desired: &DesiredAccount,
    model: ResourceModel,
    pace: &mut Pace,
) -> Result<Next, HandlerError> {
    match &ctx.stage {
        CreateStage::StartCreate { settings } => {
            let settings = settings.clone().unwrap_or_else(|| desired.settings());
            start(inv, ctx, desired, settings, model, pace).await
        }
        CreateStage::FindOwnRequest { settings, since } => {
            find_own_request(inv, desired, settings, *since, model).await
        }
        CreateStage::AwaitCreation {
            request_id,
            settings,
        } => {
            let status = inv.org.describe_creation(request_id).await?;
            after_status(inv, ctx, desired, settings, model, status, pace).await
        }
        CreateStage::PlaceAccount { .. }
        | CreateStage::SetContacts { .. }
        | CreateStage::ConvergeRegions { .. }
        | CreateStage::AwaitReady { .. }
        | CreateStage::ConfigureInside { .. }
        | CreateStage::DescribeCreated { .. } => Err(HandlerError::InternalFailure(format!(
            "stage {} is not a creation stage",
            ctx.stage.name()
        ))),
    }
}

async fn start(
    inv: &Invocation<'_>,
    ctx: &Ctx,
    desired: &DesiredAccount,
    settings: CreateSettings,
    model: ResourceModel,
    pace: &mut Pace,
) -> Result<Next, HandlerError> {
    // The record says which declaration asked (so a retry can adopt the account) and what
    // Organizations cannot give back.
    let record = Bookkeeping {
        resource: inv.resource_identity(),
        role_name: Some(settings.role_name.clone()),
        billing: Some(settings.billing.as_str().to_owned()),
        gov_cloud_account_id: settings.gov_cloud.then(String::new),
        deletion: Some(desired.deletion.as_str().to_owned()),
        origin: None,
        followed: None,
    };
    // Look before knocking: a CreateAccount refused for want of a slot spends the
    // organization's API rate that every other tool shares, and a fleet of declarations waiting
    // together would knock several times a second. ListCreateAccountStatus says how many are
    // ahead and since when; the next look comes when the pace says a slot should free (until
    // it is known, after a jittered wait: backoff's CreationSlots), so that waiters look at
    // different moments and the first to see a freed slot takes it.
    let in_flight = inv.org.creations_in_progress().await?;
    if let Some(finished) = pace.look(&in_flight) {
        // A hint only: a failed read leaves the pace unknown, and the waits plain.
        match inv.org.describe_creation(&finished).await {
            Ok(status) => pace.learn(&status),
            Err(e) => tracing::debug!(error = %e, "the pace of creation stays unknown"),
        }
    }
    if in_flight.len() >= MAX_CREATIONS_IN_FLIGHT {
        return Ok(Next::Retry {
            model,
            context: ctx.clone(),
            error: slots_taken(in_flight.len(), pace.creation()),
            wait: pace.slot_wait(unix_now_ms(), &in_flight, inv.seed),
        });
    }
    let mut tags = desired.effective_tags(&inv.request.stack_tags);
    tags.insert(TAG_RECORD.into(), record.encode());
    let since = unix_now();
    let answer = inv
        .org
        .create_account(&CreateRequest {
            name: &desired.name,
            email: &desired.email,
            role_name: &settings.role_name,
            billing: settings.billing,
            gov_cloud: settings.gov_cloud,
            tags: &tags,
        })
        .await;
    match answer {
        Ok(status) => {
            tracing::info!(request_id = %status.request_id, "create request accepted");
            after_status(inv, ctx, desired, &settings, model, status, pace).await
        }
        // A 5xx, a timeout or a broken connection: the service may have acted.
        Err(e) if e.retry_class() == Some(RetryClass::Transient) => Ok(Next::Go {
            model,
            context: Context::new(CreateStage::FindOwnRequest { settings, since }),
            message: format!("the outcome of CreateAccount is unknown ({e}); looking for the request before creating again"),
        }),
        Err(e) if e.retry_class() == Some(RetryClass::CreationSlots) => {
            let in_flight = inv.org.creations_in_progress().await?;
            if in_flight.is_empty() {
                // Nothing to wait for: the refusal is the daily limit on new accounts.
                return Err(HandlerError::ServiceLimitExceeded(format!(
                    "{e}. No account creation is in progress, so this is Organizations' limit on accounts created per day: run the stack operation again tomorrow, or ask AWS Support to raise the limit"
                )));
            }
            // Another waiter took the slot between the look and the call.
            Ok(Next::Retry {
                model,
                context: ctx.clone(),
                error: slots_taken(in_flight.len(), pace.creation()),
                wait: pace.slot_wait(unix_now_ms(), &in_flight, inv.seed),
            })
        }
        Err(e) => Err(e),
    }
}

fn slots_taken(in_flight: usize, creation: Option<Duration>) -> HandlerError {
    let pace = match creation {
        Some(c) => format!(" (creations take about {} s now)", c.as_secs().max(1)),
        None => String::new(),
    };
    HandlerError::retry(
        RetryClass::CreationSlots,
        format!(
            "{in_flight} account creations are in progress and Organizations runs at most {MAX_CREATIONS_IN_FLIGHT} at once; waiting for one to finish{pace}"
        ),
    )
}

/// CreateAccount's answer was lost. A request for this account name made since the call is
/// taken as this one (the account it makes is checked against the record tag before it is
/// adopted). None found: create again; should the first request exist after all, the second
/// fails EMAIL_ALREADY_EXISTS and the first is adopted then.
async fn find_own_request(
    inv: &Invocation<'_>,
    desired: &DesiredAccount,
    settings: &CreateSettings,
    since: i64,
    model: ResourceModel,
) -> Result<Next, HandlerError> {
    let in_flight = inv.org.creations_in_progress().await?;
    let own = in_flight
        .into_iter()
        .filter(|s| s.account_name.as_deref() == Some(desired.name.as_str()))
        .filter(|s| {
            s.requested_ms
                .is_none_or(|t| t >= (since - CLOCK_SKEW_SECONDS) * 1000)
        })
        .max_by_key(|s| s.requested_ms);
    match own {
        Some(status) => {
            tracing::info!(request_id = %status.request_id, "found the request whose answer was lost");
            Ok(Next::Poll {
                message: format!(
                    "found request {} made before CreateAccount's answer was lost; account creation in progress",
                    status.request_id
                ),
                context: await_context(status.request_id, settings.clone(), 0),
                model,
                wait: None,
            })
        }
        None => Ok(Next::Go {
            model,
            context: Context::new(CreateStage::StartCreate {
                settings: Some(settings.clone()),
            }),
            message: "no request was made before CreateAccount's answer was lost; creating".into(),
        }),
    }
}

fn await_context(request_id: CreateAccountRequestId, settings: CreateSettings, polls: u32) -> Ctx {
    Ctx {
        attempt: polls,
        ..Context::new(CreateStage::AwaitCreation {
            request_id,
            settings,
        })
    }
}

async fn after_status(
    inv: &Invocation<'_>,
    ctx: &Ctx,
    desired: &DesiredAccount,
    settings: &CreateSettings,
    model: ResourceModel,
    status: CreateStatus,
    pace: &Pace,
) -> Result<Next, HandlerError> {
    match status.state {
        CreateState::InProgress => {
            // Polls of the same request count up (they choose the callback delay).
            let polls = match &ctx.stage {
                CreateStage::AwaitCreation { request_id, .. }
                    if *request_id == status.request_id =>
                {
                    ctx.attempt.saturating_add(1)
                }
                _ => 0,
            };
            Ok(Next::Poll {
                message: format!(
                    "account creation in progress (request {})",
                    status.request_id
                ),
                wait: pace.poll_wait(unix_now_ms(), status.requested_ms),
                context: await_context(status.request_id, settings.clone(), polls),
                model,
            })
        }
        CreateState::Succeeded {
            account_id,
            gov_cloud_account_id,
        } => {
            // Adoption before exposure: the request may be one found by its account name (a lost
            // answer, an address already claimed), so its account is this declaration's only
            // when its record says so. A record not visible yet is looked at again (a retryable
            // error: the same stage after a backoff), never taken for someone else's.
            match inv.check(&account_id, Purpose::Creation).await? {
                Ok(owned) => {
                    tracing::Span::current().record("account_id", owned.id().as_str());
                    Ok(Next::Identified(to_place(
                        model,
                        owned.id().clone(),
                        gov_cloud_account_id,
                        settings.clone(),
                    )))
                }
                Err(other) => {
                    tracing::warn!(%account_id, record = %other.record, "the request adopted for this account name made another declaration's account; creating anew");
                    Ok(Next::Go {
                        model,
                        context: Context::new(CreateStage::StartCreate {
                            settings: Some(settings.clone()),
                        }),
                        message: "the request adopted for this account name turned out to be another declaration's; creating this one anew".into(),
                    })
                }
            }
        }
        // The address is taken: perhaps by this declaration's own earlier request (a create
        // re-delivered, a lost answer). A repeated CreateGovCloudAccount says so with its own
        // reason (the GovCloud side holds the address too); the commercial account is adopted
        // the same way.
        CreateState::Failed { reason }
            if reason == "EMAIL_ALREADY_EXISTS" || reason == "GOVCLOUD_ACCOUNT_ALREADY_EXISTS" =>
        {
            email_owner(inv, desired, settings, model, &reason).await
        }
        CreateState::Failed { reason } => {
            let error = translate::creation_failure(&reason, &desired.email);
            if error.retry_class().is_some() {
                // The request is dead; a new CreateAccount is needed, after a backoff, with the
                // same write-only values.
                Ok(Next::Retry {
                    model,
                    context: Ctx {
                        attempt: ctx.attempt,
                        ..Context::new(CreateStage::StartCreate {
                            settings: Some(settings.clone()),
                        })
                    },
                    error,
                    wait: None,
                })
            } else {
                Err(error)
            }
        }
    }
}

/// CreateAccount said EMAIL_ALREADY_EXISTS: adopt the account if this declaration created it,
/// else say that the address is taken without naming another account's details.
async fn email_owner(
    inv: &Invocation<'_>,
    desired: &DesiredAccount,
    settings: &CreateSettings,
    model: ResourceModel,
    reason: &str,
) -> Result<Next, HandlerError> {
    let owners = inv.org.accounts_with_email(&desired.email).await?;
    for owner in &owners {
        // A record not visible yet is a retryable error: looked at again, not taken for
        // another's (which would make a second CreateAccount and a false AlreadyExists).
        let Ok(owned) = inv.check(&owner.id, Purpose::Creation).await? else {
            continue;
        };
        if !owner.is_live() {
            return Err(HandlerError::AlreadyExists(format!(
                "Email: {} belongs to account {}, which this resource created earlier and which is now {}; a closed account keeps its address (CreateAccount failed with {reason}). Choose another Email",
                desired.email,
                owner.id,
                owner.lifecycle()
            )));
        }
        tracing::info!(account_id = %owner.id, "adopting the account this declaration already created");
        let gov = owned
            .book()
            .gov_cloud_account_id
            .as_deref()
            .and_then(|g| AccountId::parse(g).ok());
        return Ok(Next::Identified(to_place(
            model,
            owned.id().clone(),
            gov,
            settings.clone(),
        )));
    }
    if owners.is_empty() {
        // The owner may be this declaration's own earlier request, still in flight (its account
        // is not listed until it exists). Its account is checked against the record on arrival.
        let in_flight = inv.org.creations_in_progress().await?;
        if let Some(status) = in_flight
            .into_iter()
            .filter(|s| s.account_name.as_deref() == Some(desired.name.as_str()))
            .max_by_key(|s| s.requested_ms)
        {
            return Ok(Next::Poll {
                message: format!(
                    "the address is claimed by request {} for the same account name, still in progress; waiting to see whose it is",
                    status.request_id
                ),
                context: await_context(status.request_id, settings.clone(), 0),
                model,
                wait: None,
            });
        }
        return Err(HandlerError::AlreadyExists(format!(
            "Email: {} is already the address of an AWS account outside this organization (CreateAccount failed with {reason}); choose another Email",
            desired.email
        )));
    }
    Err(HandlerError::AlreadyExists(format!(
        "Email: {} is already the address of another account in this organization, not one this resource created (CreateAccount failed with {reason}); choose another Email. To see which account, from the management account: aws organizations list-accounts --query \"Accounts[?Email=='{}']\"",
        desired.email, desired.email
    )))
}

fn to_place(
    mut model: ResourceModel,
    account_id: AccountId,
    gov: Option<AccountId>,
    settings: CreateSettings,
) -> Step {
    // The primary identifier goes into the model as soon as it is known.
    model.account_id = Some(account_id.to_string());
    model.gov_cloud_account_id = gov.as_ref().map(AccountId::to_string);
    Step::Continue {
        model,
        message: format!("account {account_id} created; placing it"),
        context: Context::new(CreateStage::PlaceAccount {
            account_id,
            gov_cloud_account_id: gov,
            settings: Some(settings),
        })
        .into(),
        delay: 1,
    }
}

async fn place(
    inv: &Invocation<'_>,
    desired: &DesiredAccount,
    mut model: ResourceModel,
    account_id: &AccountId,
    gov: Option<&AccountId>,
    settings: CreateSettings,
) -> Result<Step, HandlerError> {
    let owned = proven(inv, account_id, &mut model).await?;
    if let Some(gov) = gov {
        let mut book = owned.book().clone();
        if book.gov_cloud_account_id.as_deref() != Some(gov.as_str()) {
            book.gov_cloud_account_id = Some(gov.to_string());
            let record = [(TAG_RECORD.to_owned(), book.encode())].into();
            inv.org.tag(&owned, &record).await?;
        }
        model.gov_cloud_account_id = Some(gov.to_string());
    }
    if let Some(declared) = &desired.parent {
        let (current, target) =
            tokio::try_join!(inv.org.parent_of(&owned), parent::resolve(inv, declared))?;
        if current != target {
            inv.org.move_account(&owned, &current, &target).await?;
        }
    }
    let next = after(desired, Phase::Placed, &owned, &settings);
    Ok(Step::Continue {
        model,
        message: format!("account {account_id} placed; next: {}", next.stage.name()),
        context: next.into(),
        delay: 1,
    })
}

async fn describe_created(
    inv: &Invocation<'_>,
    ctx: &Ctx,
    account_id: &AccountId,
) -> Result<Step, HandlerError> {
    match read::describe(inv, account_id, Purpose::Creation).await {
        Ok(model) => Ok(Step::Done(model)),
        Err(HandlerError::NotFound(m)) if ctx.attempt < MAX_VISIBILITY_POLLS => {
            Err(HandlerError::retry(RetryClass::NotYetVisible, m))
        }
        Err(HandlerError::NotFound(m)) => Err(HandlerError::NotStabilized(format!(
            "account {account_id} was created but DescribeAccount still does not show it as active: {m}"
        ))),
        Err(e) => Err(e),
    }
}

/// A wait as a callback delay: whole seconds, at least one.
fn whole_seconds(wait: Duration) -> u32 {
    u32::try_from(wait.as_millis().div_ceil(1000))
        .unwrap_or(u32::MAX)
        .max(1)
}

fn unix_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
