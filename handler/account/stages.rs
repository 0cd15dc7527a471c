//! The callback context: one typed, versioned value saying which step of a write action comes
//! next. Each action has its own stage enum, so an action's code matches only its own stages;
//! the wire form is the same for all (`{"version":1,"stage":{"name":...},"attempt":n}`), and a
//! context of another action is refused once, where it is read. Each step is safe to run
//! again, so a re-delivered callback does no harm.

use std::collections::BTreeSet;
use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::vocab::baseline::RegionName;
use crate::vocab::error::HandlerError;
use crate::vocab::model::{AccountId, CreateAccountRequestId, CreateSettings};

pub const CONTEXT_VERSION: u32 = 1;

/// The three actions that change an account, and so have stages (READ and LIST have none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Create,
    Update,
    Delete,
}

impl Write {
    /// Every write action.
    pub const ALL: [Write; 3] = [Write::Create, Write::Update, Write::Delete];

    /// The protocol's name of the action.
    pub fn as_str(self) -> &'static str {
        match self {
            Write::Create => "CREATE",
            Write::Update => "UPDATE",
            Write::Delete => "DELETE",
        }
    }

    /// The stage a fresh request of this action starts with.
    pub fn first_stage(self) -> CallbackContext {
        CallbackContext::first(self)
    }

    /// The wire names of this action's stages.
    pub fn stage_names(self) -> &'static [&'static str] {
        match self {
            Write::Create => CreateStage::NAMES,
            Write::Update => UpdateStage::NAMES,
            Write::Delete => DeleteStage::NAMES,
        }
    }
}

/// The stages of one write action.
pub trait Stages: Debug + Clone + PartialEq + Serialize + DeserializeOwned {
    /// The action these stages belong to.
    const ACTION: Write;
    /// Every stage's wire name (a test checks them against `name`).
    const NAMES: &'static [&'static str];
    /// The stage a fresh request starts with.
    fn first() -> Self;
    /// The stage's wire name.
    fn name(&self) -> &'static str;
    /// A first stage lacking the write-only values, with them filled in; others unchanged.
    fn pinned(self, settings: impl FnOnce() -> Option<CreateSettings>) -> Self;
}

/// Where one action stands: its stage, and how often that stage has been polled or retried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Context<S> {
    pub version: u32,
    pub stage: S,
    /// Consecutive polls or retries of this stage; chooses the next delay.
    #[serde(default)]
    pub attempt: u32,
}

impl<S: Stages> Context<S> {
    pub fn new(stage: S) -> Self {
        Context {
            version: CONTEXT_VERSION,
            stage,
            attempt: 0,
        }
    }

    /// The same stage once more (a poll or a retry).
    pub fn again(&self) -> Self {
        Context {
            attempt: self.attempt.saturating_add(1),
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "name",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum CreateStage {
    /// CreateAccount (or CreateGovCloudAccount). `settings` is absent on the first call, where
    /// the properties still carry the write-only values.
    StartCreate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settings: Option<CreateSettings>,
    },
    /// CreateAccount's answer was lost (the service may or may not have acted): look for a
    /// request for this account name made since `since` (Unix seconds) before creating again.
    FindOwnRequest {
        settings: CreateSettings,
        since: i64,
    },
    /// Poll DescribeCreateAccountStatus.
    AwaitCreation {
        request_id: CreateAccountRequestId,
        settings: CreateSettings,
    },
    /// Record the GovCloud id and move the new account to its parent.
    PlaceAccount {
        account_id: AccountId,
        gov_cloud_account_id: Option<AccountId>,
        /// For a restart, should the account turn out to be another declaration's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settings: Option<CreateSettings>,
    },
    /// Put the declared alternate contacts.
    SetContacts {
        account_id: AccountId,
        settings: CreateSettings,
    },
    /// Bring the declared Regions where the template wants them, polling until they arrive.
    ConvergeRegions {
        account_id: AccountId,
        settings: CreateSettings,
    },
    /// WaitUntilReady: assume `role_name` in the account until that works, or `until` (Unix
    /// seconds) passes.
    AwaitReady {
        account_id: AccountId,
        role_name: String,
        partition: String,
        minutes: u32,
        until: i64,
    },
    /// Inside the account, as its role: default VPCs, alias, EBS encryption, Block Public
    /// Access. `settled`: the Regions a pass finished (a hint: skipped by the next pass).
    ConfigureInside {
        account_id: AccountId,
        role_name: String,
        partition: String,
        minutes: u32,
        until: i64,
        #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
        settled: BTreeSet<RegionName>,
    },
    /// Read the finished account back.
    DescribeCreated { account_id: AccountId },
}

impl Stages for CreateStage {
    const ACTION: Write = Write::Create;
    const NAMES: &'static [&'static str] = &[
        "startCreate",
        "findOwnRequest",
        "awaitCreation",
        "placeAccount",
        "setContacts",
        "convergeRegions",
        "awaitReady",
        "configureInside",
        "describeCreated",
    ];

    fn first() -> Self {
        CreateStage::StartCreate { settings: None }
    }

    fn name(&self) -> &'static str {
        match self {
            CreateStage::StartCreate { .. } => "startCreate",
            CreateStage::FindOwnRequest { .. } => "findOwnRequest",
            CreateStage::AwaitCreation { .. } => "awaitCreation",
            CreateStage::PlaceAccount { .. } => "placeAccount",
            CreateStage::SetContacts { .. } => "setContacts",
            CreateStage::ConvergeRegions { .. } => "convergeRegions",
            CreateStage::AwaitReady { .. } => "awaitReady",
            CreateStage::ConfigureInside { .. } => "configureInside",
            CreateStage::DescribeCreated { .. } => "describeCreated",
        }
    }

    fn pinned(self, settings: impl FnOnce() -> Option<CreateSettings>) -> Self {
        match self {
            CreateStage::StartCreate { settings: None } => CreateStage::StartCreate {
                settings: settings(),
            },
            other => other,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "name",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum UpdateStage {
    /// Compare with the live account and apply the difference. `settings` holds the write-only
    /// values the first call's properties carried (pinned by the lifecycle before the first
    /// run), since CloudFormation's callbacks pass the model back without them; absent only in
    /// contexts written before they were kept.
    ApplyUpdate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settings: Option<CreateSettings>,
    },
    /// Bring the declared Regions where the template wants them, polling until they arrive.
    ConvergeUpdatedRegions { account_id: AccountId },
    /// Inside the account, as its role (what the previous template declared and this one does
    /// not is worked out again from the request each pass); `settled` as in CREATE.
    ConfigureUpdatedInside {
        account_id: AccountId,
        #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
        settled: BTreeSet<RegionName>,
    },
}

impl Stages for UpdateStage {
    const ACTION: Write = Write::Update;
    const NAMES: &'static [&'static str] = &[
        "applyUpdate",
        "convergeUpdatedRegions",
        "configureUpdatedInside",
    ];

    fn first() -> Self {
        UpdateStage::ApplyUpdate { settings: None }
    }

    fn name(&self) -> &'static str {
        match self {
            UpdateStage::ApplyUpdate { .. } => "applyUpdate",
            UpdateStage::ConvergeUpdatedRegions { .. } => "convergeUpdatedRegions",
            UpdateStage::ConfigureUpdatedInside { .. } => "configureUpdatedInside",
        }
    }

    fn pinned(self, settings: impl FnOnce() -> Option<CreateSettings>) -> Self {
        match self {
            UpdateStage::ApplyUpdate { settings: None } => UpdateStage::ApplyUpdate {
                settings: settings(),
            },
            other => other,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "name",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum DeleteStage {
    /// Custom resources: the PhysicalResourceId names no account, because the Create answered
    /// before its creation request settled (`request_id`, when it was known) or failed before
    /// any request. Wait for that request, and delete by DeletionMode only an account whose
    /// record names this declaration; none: nothing to delete.
    ResolveCreation {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<CreateAccountRequestId>,
    },
    /// Decide by DeletionMode: refuse, CloseAccount, or RemoveAccountFromOrganization.
    StartDelete,
    /// Wait until the account is no longer ACTIVE.
    AwaitClosure { account_id: AccountId },
}

impl Stages for DeleteStage {
    const ACTION: Write = Write::Delete;
    const NAMES: &'static [&'static str] = &["resolveCreation", "startDelete", "awaitClosure"];

    fn first() -> Self {
        DeleteStage::StartDelete
    }

    fn name(&self) -> &'static str {
        match self {
            DeleteStage::ResolveCreation { .. } => "resolveCreation",
            DeleteStage::StartDelete => "startDelete",
            DeleteStage::AwaitClosure { .. } => "awaitClosure",
        }
    }

    fn pinned(self, _settings: impl FnOnce() -> Option<CreateSettings>) -> Self {
        // DELETE keeps no write-only values.
        self
    }
}

/// The context of whichever write action: what travels between invocations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CallbackContext {
    Create(Context<CreateStage>),
    Update(Context<UpdateStage>),
    Delete(Context<DeleteStage>),
}

impl From<Context<CreateStage>> for CallbackContext {
    fn from(c: Context<CreateStage>) -> Self {
        CallbackContext::Create(c)
    }
}

impl From<Context<UpdateStage>> for CallbackContext {
    fn from(c: Context<UpdateStage>) -> Self {
        CallbackContext::Update(c)
    }
}

impl From<Context<DeleteStage>> for CallbackContext {
    fn from(c: Context<DeleteStage>) -> Self {
        CallbackContext::Delete(c)
    }
}

impl CallbackContext {
    /// The action's first stage.
    pub fn first(action: Write) -> CallbackContext {
        match action {
            Write::Create => Context::new(CreateStage::first()).into(),
            Write::Update => Context::new(UpdateStage::first()).into(),
            Write::Delete => Context::new(DeleteStage::first()).into(),
        }
    }

    /// The action the stage belongs to.
    pub fn write(&self) -> Write {
        match self {
            CallbackContext::Create(_) => Write::Create,
            CallbackContext::Update(_) => Write::Update,
            CallbackContext::Delete(_) => Write::Delete,
        }
    }

    /// The stage's wire name.
    pub fn stage_name(&self) -> &'static str {
        match self {
            CallbackContext::Create(c) => c.stage.name(),
            CallbackContext::Update(c) => c.stage.name(),
            CallbackContext::Delete(c) => c.stage.name(),
        }
    }

    /// Consecutive polls or retries of the stage.
    pub fn attempt(&self) -> u32 {
        match self {
            CallbackContext::Create(c) => c.attempt,
            CallbackContext::Update(c) => c.attempt,
            CallbackContext::Delete(c) => c.attempt,
        }
    }

    /// The same stage once more (a poll or a retry).
    pub fn again(&self) -> Self {
        match self {
            CallbackContext::Create(c) => c.again().into(),
            CallbackContext::Update(c) => c.again().into(),
            CallbackContext::Delete(c) => c.again().into(),
        }
    }

    /// A fresh request's stage with the write-only values of its properties pinned, so that
    /// every later callback (whose model CloudFormation sends without them) keeps them. Stages
    /// that already carry them, or need none, are returned unchanged.
    pub fn pinned(self, settings: impl FnOnce() -> Option<CreateSettings>) -> Self {
        fn pin<S: Stages>(c: Context<S>, s: impl FnOnce() -> Option<CreateSettings>) -> Context<S> {
            Context {
                stage: c.stage.pinned(s),
                ..c
            }
        }
        match self {
            CallbackContext::Create(c) => pin(c, settings).into(),
            CallbackContext::Update(c) => pin(c, settings).into(),
            CallbackContext::Delete(c) => pin(c, settings).into(),
        }
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The context CloudFormation passed back, or the action's first stage when there is none.
    pub fn from_request(
        action: Write,
        raw: Option<&Value>,
    ) -> Result<CallbackContext, HandlerError> {
        match action {
            Write::Create => read::<CreateStage>(raw).map(CallbackContext::Create),
            Write::Update => read::<UpdateStage>(raw).map(CallbackContext::Update),
            Write::Delete => read::<DeleteStage>(raw).map(CallbackContext::Delete),
        }
    }
}

/// A context carried by the handler itself (a custom resource's progress): its stage's name
/// says which action it belongs to. The door checks that this is the request's action.
impl<'de> Deserialize<'de> for CallbackContext {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let v = Value::deserialize(d)?;
        let name = v.pointer("/stage/name").and_then(Value::as_str);
        let write = owner_of(name).ok_or_else(|| {
            D::Error::custom(format!(
                "stage.name: {} is no stage of CREATE, UPDATE or DELETE",
                name.unwrap_or("(none)")
            ))
        })?;
        CallbackContext::from_request(write, Some(&v)).map_err(D::Error::custom)
    }
}

/// The action a stage of this wire name belongs to.
fn owner_of(name: Option<&str>) -> Option<Write> {
    [Write::Create, Write::Update, Write::Delete]
        .into_iter()
        .find(|w| name.is_some_and(|n| w.stage_names().contains(&n)))
}

/// Reads one action's context, refusing an unknown version and another action's stage.
fn read<S: Stages>(raw: Option<&Value>) -> Result<Context<S>, HandlerError> {
    let v = match raw {
        None | Some(Value::Null) => return Ok(Context::new(S::first())),
        Some(v) => v,
    };
    if let Some(version) = v.get("version").and_then(Value::as_u64) {
        if version != u64::from(CONTEXT_VERSION) {
            return Err(HandlerError::InvalidRequest(format!(
                "callbackContext.version: {version} is not supported (this handler writes version {CONTEXT_VERSION})"
            )));
        }
    }
    let name = v.pointer("/stage/name").and_then(Value::as_str);
    if let (Some(name), Some(owner)) = (name, owner_of(name)) {
        if owner != S::ACTION {
            return Err(HandlerError::InvalidRequest(format!(
                "callbackContext.stage: {name} belongs to {}, not {}",
                owner.as_str(),
                S::ACTION.as_str()
            )));
        }
    }
    serde_path_to_error::deserialize::<_, Context<S>>(v).map_err(|e| {
        HandlerError::InvalidRequest(format!("callbackContext.{}: {}", e.path(), e.inner()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::model::BillingAccess;
    use serde_json::json;

    #[test]
    fn context_round_trips_through_json() {
        let ctx = CallbackContext::from(Context::new(CreateStage::AwaitCreation {
            request_id: CreateAccountRequestId::parse("car-0123456789").unwrap(),
            settings: CreateSettings {
                role_name: "Admin".into(),
                billing: BillingAccess::Deny,
                gov_cloud: true,
                ready_within_minutes: None,
            },
        }))
        .again();
        let v = ctx.to_json();
        assert_eq!(
            v,
            json!({"version": 1, "stage": {"name": "awaitCreation", "requestId": "car-0123456789",
                "settings": {"roleName": "Admin", "billing": "DENY", "govCloud": true}}, "attempt": 1})
        );
        assert_eq!(
            CallbackContext::from_request(Write::Create, Some(&v)).unwrap(),
            ctx
        );
    }

    #[test]
    fn no_context_means_the_first_stage_of_the_action() {
        assert_eq!(
            CallbackContext::from_request(Write::Create, None).unwrap(),
            Context::new(CreateStage::StartCreate { settings: None }).into()
        );
        assert_eq!(
            CallbackContext::from_request(Write::Update, None).unwrap(),
            Context::new(UpdateStage::ApplyUpdate { settings: None }).into()
        );
        assert_eq!(
            CallbackContext::from_request(Write::Delete, None).unwrap(),
            Context::new(DeleteStage::StartDelete).into()
        );
    }

    #[test]
    fn context_of_another_action_is_invalid_request() {
        let v = CallbackContext::first(Write::Update).to_json();
        let e = CallbackContext::from_request(Write::Delete, Some(&v)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "callbackContext.stage: applyUpdate belongs to UPDATE, not DELETE"
        );
    }

    #[test]
    fn unknown_version_and_bad_ids_are_invalid_request() {
        let e = CallbackContext::from_request(
            Write::Create,
            Some(&json!({"version": 9, "stage": {"name": "startCreate"}})),
        );
        assert!(e
            .unwrap_err()
            .to_string()
            .starts_with("callbackContext.version: 9"));
        let e = CallbackContext::from_request(
            Write::Create,
            Some(&json!({"version": 1, "stage": {"name": "placeAccount", "accountId": "12"}})),
        );
        let msg = e.unwrap_err().to_string();
        assert!(
            msg.starts_with("callbackContext.stage") && msg.contains("12 digits"),
            "{msg}"
        );
    }

    #[test]
    fn an_update_context_written_before_settings_were_kept_still_reads() {
        let old = json!({"version": 1, "stage": {"name": "applyUpdate"}, "attempt": 2});
        let ctx = CallbackContext::from_request(Write::Update, Some(&old)).unwrap();
        assert_eq!(ctx.stage_name(), "applyUpdate");
        assert_eq!(ctx.attempt(), 2);
        // And a context without settings writes the same wire form as before.
        assert_eq!(ctx.to_json(), old);
    }

    #[test]
    fn pinning_fills_only_a_first_stage_that_lacks_the_write_only_values() {
        let admin = CreateSettings {
            role_name: "Admin".into(),
            billing: BillingAccess::Deny,
            gov_cloud: false,
            ready_within_minutes: None,
        };
        let pinned = CallbackContext::first(Write::Update).pinned(|| Some(admin.clone()));
        assert_eq!(
            pinned.to_json(),
            json!({"version": 1, "stage": {"name": "applyUpdate",
                "settings": {"roleName": "Admin", "billing": "DENY", "govCloud": false}}, "attempt": 0})
        );
        // A callback's context keeps what the first call pinned, whatever the model says now.
        let again = pinned.again().pinned(|| panic!("not asked again"));
        assert_eq!(
            again,
            CallbackContext::Update(Context {
                attempt: 1,
                ..Context::new(UpdateStage::ApplyUpdate {
                    settings: Some(admin.clone())
                })
            })
        );
        let close = CallbackContext::first(Write::Delete).pinned(|| panic!("delete keeps none"));
        assert_eq!(close, CallbackContext::first(Write::Delete));
    }

    #[test]
    fn every_stage_name_is_listed_once_under_its_own_action() {
        let settings = CreateSettings {
            role_name: "R".into(),
            billing: BillingAccess::Allow,
            gov_cloud: false,
            ready_within_minutes: None,
        };
        let id = AccountId::parse("123456789012").unwrap();
        let request_id = CreateAccountRequestId::parse("car-0123456789").unwrap();
        let create = [
            CreateStage::StartCreate { settings: None },
            CreateStage::FindOwnRequest {
                settings: settings.clone(),
                since: 0,
            },
            CreateStage::AwaitCreation {
                request_id: request_id.clone(),
                settings: settings.clone(),
            },
            CreateStage::PlaceAccount {
                account_id: id.clone(),
                gov_cloud_account_id: None,
                settings: None,
            },
            CreateStage::SetContacts {
                account_id: id.clone(),
                settings: settings.clone(),
            },
            CreateStage::ConvergeRegions {
                account_id: id.clone(),
                settings: settings.clone(),
            },
            CreateStage::AwaitReady {
                account_id: id.clone(),
                role_name: "R".into(),
                partition: "aws".into(),
                minutes: 1,
                until: 0,
            },
            CreateStage::ConfigureInside {
                account_id: id.clone(),
                role_name: "R".into(),
                partition: "aws".into(),
                minutes: 1,
                until: 0,
                settled: BTreeSet::new(),
            },
            CreateStage::DescribeCreated {
                account_id: id.clone(),
            },
        ];
        let delete = [
            DeleteStage::ResolveCreation { request_id: None },
            DeleteStage::StartDelete,
            DeleteStage::AwaitClosure {
                account_id: id.clone(),
            },
        ];
        fn names<S: Stages>(stages: &[S]) -> Vec<&'static str> {
            stages
                .iter()
                .map(|s| {
                    // The wire name is serde's, and `name` says the same.
                    let wire = serde_json::to_value(s).unwrap();
                    assert_eq!(wire["name"], s.name());
                    s.name()
                })
                .collect()
        }
        assert_eq!(names(&create), CreateStage::NAMES);
        let update = [
            UpdateStage::first(),
            UpdateStage::ConvergeUpdatedRegions {
                account_id: id.clone(),
            },
            UpdateStage::ConfigureUpdatedInside {
                account_id: id.clone(),
                settled: BTreeSet::new(),
            },
        ];
        assert_eq!(names(&update), UpdateStage::NAMES);
        assert_eq!(names(&delete), DeleteStage::NAMES);
    }
}
