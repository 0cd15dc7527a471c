//! What the actions and the front doors share, below all of them: one invocation's view (the
//! declaration as the actions need it, Organizations, the jitter seed, the time left) and what a
//! step comes to. Neither door's wire format appears here: each door builds a `Request`.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use tokio::time::Instant;

use crate::account::backoff::retry_delay;
use crate::account::stages::CallbackContext;
use crate::aws::account::AccountManagement;
use crate::aws::clients::Services;
use crate::aws::organizations::Organizations;
use crate::aws::ownership::{self, Checked, Owned, Purpose, Reading};
use crate::aws::sts::Sts;
use crate::vocab::error::{HandlerError, RetryClass};
use crate::vocab::identity::resource_identity;
use crate::vocab::model::{AccountId, DesiredAccount, ResourceModel};

/// Kept free before the Lambda deadline, to build and return the answer.
const DEADLINE_MARGIN: Duration = Duration::from_secs(3);

/// The time one invocation may still spend.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    deadline: Instant,
}

impl Budget {
    /// `cap` from now, and never past the Lambda deadline (less a margin) when there is one.
    /// A deadline already past when the invocation starts cannot be real and is ignored: cargo
    /// lambda's emulator sends `lambda-runtime-deadline-ms` as a duration (600000), not as the
    /// epoch time Lambda sends, which would otherwise leave no time at all.
    pub fn new(cap: Duration, lambda_deadline: Option<SystemTime>) -> Budget {
        let mut allowed = cap;
        match lambda_deadline.map(|d| d.duration_since(SystemTime::now())) {
            Some(Ok(left)) => allowed = allowed.min(left.saturating_sub(DEADLINE_MARGIN)),
            Some(Err(_)) => {
                tracing::warn!("the invocation's deadline is already past; ignoring it")
            }
            None => {}
        }
        Budget {
            deadline: Instant::now() + allowed,
        }
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Whether `wait` and then a step of about `step` still fit.
    pub fn allows(&self, wait: Duration, step: Duration) -> bool {
        self.remaining() > wait + step
    }
}

/// What the actions read of a request, whichever door it came through: the registry's
/// resourceProperties/previousResourceProperties, or a custom resource's (translated) properties.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub stack_id: Option<String>,
    pub logical_resource_id: Option<String>,
    /// The desired properties, in the schema's shape (the model the previous step returned, on
    /// a later step).
    pub resource_properties: Option<Value>,
    /// UPDATE: the properties before the change.
    pub previous_resource_properties: Option<Value>,
    pub stack_tags: BTreeMap<String, String>,
    pub previous_stack_tags: BTreeMap<String, String>,
    /// True when CloudFormation says this update is a rollback.
    pub rollback: bool,
    /// LIST: the page to start from.
    pub next_token: Option<String>,
}

impl Request {
    /// The stack's name, from its id (`arn:...:stack/NAME/UUID`).
    pub fn stack_name(&self) -> Option<&str> {
        self.stack_id.as_deref().and_then(|s| s.split('/').nth(1))
    }
}

/// One invocation's view: the request, Organizations (as the caller in a registry request, as
/// the function in a custom resource), the jitter seed, the budget.
pub struct Invocation<'a> {
    pub request: &'a Request,
    pub org: Organizations,
    pub account: AccountManagement,
    pub sts: Sts,
    pub seed: u64,
    pub budget: Budget,
    /// The desired state, decoded from the properties the first time a step asks for it.
    desired: OnceLock<Result<DesiredAccount, HandlerError>>,
}

impl<'a> Invocation<'a> {
    /// The view of one step of `request`.
    pub fn new(request: &'a Request, services: Services, seed: u64, budget: Budget) -> Self {
        Invocation {
            request,
            org: services.org,
            account: services.account,
            sts: services.sts,
            seed,
            budget,
            desired: OnceLock::new(),
        }
    }

    /// The desired state the properties declare, checked against the schema: decoded once per
    /// step, whoever asks (the lifecycle pinning write-only values, then the action).
    pub fn desired(&self) -> Result<&DesiredAccount, HandlerError> {
        self.desired
            .get_or_init(|| {
                DesiredAccount::from_properties(self.request.resource_properties.as_ref())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// A stable identity for this declaration (stack + logical id), recorded on the accounts it
    /// creates so that a re-delivered create adopts its own account instead of making a second.
    pub fn resource_identity(&self) -> Option<String> {
        let logical = self
            .request
            .logical_resource_id
            .as_deref()
            .filter(|l| !l.is_empty())?;
        Some(resource_identity(
            self.request.stack_id.as_deref().unwrap_or(""),
            logical,
        ))
    }

    /// Checks the account's live record for `purpose` (see `aws::ownership`): proven, or
    /// another's. The identity checked against is this request's stack and logical id, never
    /// anything the request carries from an earlier invocation.
    pub async fn check(&self, id: &AccountId, purpose: Purpose) -> Result<Checked, HandlerError> {
        let identity = self.resource_identity();
        ownership::prove(&self.org, id, identity.as_deref(), purpose).await
    }

    /// The proof for `id`, or AccessDenied naming the account and what its record says.
    pub async fn owned(&self, id: &AccountId, purpose: Purpose) -> Result<Owned, HandlerError> {
        self.check(id, purpose).await?.map_err(|not| {
            not.refusal(
                self.request.logical_resource_id.as_deref().unwrap_or("?"),
                self.request.stack_name().unwrap_or("?"),
            )
        })
    }

    /// The proof for `id` and what `read` read of the account alongside the check (one round
    /// trip), or AccessDenied as `owned` says it; for another's account the reads are dropped.
    pub async fn owned_reading<T, Fut>(
        &self,
        id: &AccountId,
        purpose: Purpose,
        read: impl FnOnce(Reading) -> Fut,
    ) -> Result<(Owned, T), HandlerError>
    where
        Fut: std::future::Future<Output = Result<T, HandlerError>>,
    {
        let identity = self.resource_identity();
        ownership::prove_reading(&self.org, id, identity.as_deref(), purpose, read)
            .await?
            .map_err(|not| {
                not.refusal(
                    self.request.logical_resource_id.as_deref().unwrap_or("?"),
                    self.request.stack_name().unwrap_or("?"),
                )
            })
    }

    /// The model CloudFormation sent, decoded without the schema's rules.
    pub fn incoming_model(&self) -> Result<ResourceModel, HandlerError> {
        ResourceModel::from_value(self.request.resource_properties.as_ref())
    }
}

/// What a step of CREATE, UPDATE or DELETE comes to.
#[derive(Debug)]
pub enum Step {
    /// SUCCESS with the final model.
    Done(ResourceModel),
    /// SUCCESS of DELETE, without a model.
    Deleted,
    /// IN_PROGRESS: call back after `delay` seconds with `context`.
    Continue {
        model: ResourceModel,
        context: CallbackContext,
        delay: u32,
        message: String,
    },
}

impl Step {
    /// Runs the context's stage again later, after the backoff for `error`'s retry class.
    pub fn retry(
        model: ResourceModel,
        context: CallbackContext,
        seed: u64,
        error: &HandlerError,
    ) -> Step {
        let class = error.retry_class().unwrap_or(RetryClass::Transient);
        Step::Continue {
            delay: retry_delay(class, context.attempt(), seed),
            model,
            message: format!("waiting to try again: {error}"),
            context: context.again(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn budget_is_capped_by_the_lambda_deadline_less_a_margin_unless_it_is_impossible() {
        const CAP: Duration = Duration::from_secs(55);
        let in_ten = SystemTime::now() + Duration::from_secs(10);
        let b = Budget::new(CAP, Some(in_ten));
        assert!(b.remaining() <= Duration::from_secs(7), "{b:?}");
        let b = Budget::new(CAP, None);
        assert_eq!(b.remaining(), CAP);
        assert!(b.allows(Duration::from_secs(50), Duration::from_secs(4)));
        assert!(!b.allows(Duration::from_secs(50), Duration::from_secs(5)));
        // Nearly due: nothing left to wait with.
        let soon = SystemTime::now() + Duration::from_secs(2);
        assert_eq!(Budget::new(CAP, Some(soon)).remaining(), Duration::ZERO);
        // Already past (an emulator's duration read as an epoch time): ignored, capped.
        let emulator = SystemTime::UNIX_EPOCH + Duration::from_millis(600_000);
        assert_eq!(Budget::new(CAP, Some(emulator)).remaining(), CAP);
    }
}
