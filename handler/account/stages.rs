//! The callback context: one typed, versioned value saying which step comes next. Each step is
//! safe to run again, so a re-delivered callback does no harm.

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackContext {
    pub version: u32,
    pub stage: Stage,
    /// Consecutive polls or retries of this stage; chooses the next delay.
    #[serde(default)]
    pub attempt: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "name",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Stage {
    /// CREATE: CreateAccount (or CreateGovCloudAccount). `settings` is absent on the first call,
    /// where the properties still carry the write-only values.
    StartCreate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settings: Option<CreateSettings>,
    },
    /// CREATE: CreateAccount's answer was lost (the service may or may not have acted): look for
    /// a request for this account name made since `since` (Unix seconds) before creating again.
    FindOwnRequest {
        settings: CreateSettings,
        since: i64,
    },
    /// CREATE: poll DescribeCreateAccountStatus.
    AwaitCreation {
        request_id: CreateAccountRequestId,
        settings: CreateSettings,
    },
    /// CREATE: record the GovCloud id and move the new account to its parent.
    PlaceAccount {
        account_id: AccountId,
        gov_cloud_account_id: Option<AccountId>,
        /// For a restart, should the account turn out to be another declaration's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settings: Option<CreateSettings>,
    },
    /// CREATE: read the finished account back.
    DescribeCreated { account_id: AccountId },
    /// UPDATE: compare with the live account and apply the difference. `settings` holds the
    /// write-only values the first call's properties carried (pinned by the lifecycle before
    /// the first run), since CloudFormation's callbacks pass the model back without them; absent
    /// only in contexts written before they were kept.
    ApplyUpdate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settings: Option<CreateSettings>,
    },
    /// DELETE (custom resources): the PhysicalResourceId names no account, because the Create
    /// answered before its creation request settled (`request_id`, when it was known) or failed
    /// before any request. Wait for that request, and delete by DeletionMode only an account
    /// whose record names this declaration; none: nothing to delete.
    ResolveCreation {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<CreateAccountRequestId>,
    },
    /// DELETE: decide by DeletionMode: refuse, CloseAccount, or RemoveAccountFromOrganization.
    StartDelete,
    /// DELETE: wait until the account is no longer ACTIVE.
    AwaitClosure { account_id: AccountId },
}

impl Stage {
    pub fn name(&self) -> &'static str {
        match self {
            Stage::StartCreate { .. } => "startCreate",
            Stage::FindOwnRequest { .. } => "findOwnRequest",
            Stage::AwaitCreation { .. } => "awaitCreation",
            Stage::PlaceAccount { .. } => "placeAccount",
            Stage::DescribeCreated { .. } => "describeCreated",
            Stage::ApplyUpdate { .. } => "applyUpdate",
            Stage::ResolveCreation { .. } => "resolveCreation",
            Stage::StartDelete => "startDelete",
            Stage::AwaitClosure { .. } => "awaitClosure",
        }
    }

    fn action(&self) -> Write {
        match self {
            Stage::StartCreate { .. }
            | Stage::FindOwnRequest { .. }
            | Stage::AwaitCreation { .. }
            | Stage::PlaceAccount { .. }
            | Stage::DescribeCreated { .. } => Write::Create,
            Stage::ApplyUpdate { .. } => Write::Update,
            Stage::ResolveCreation { .. } | Stage::StartDelete | Stage::AwaitClosure { .. } => {
                Write::Delete
            }
        }
    }
}

impl CallbackContext {
    pub fn new(stage: Stage) -> Self {
        CallbackContext {
            version: CONTEXT_VERSION,
            stage,
            attempt: 0,
        }
    }

    /// A fresh request's stage with the write-only values of its properties pinned, so that
    /// every later callback (whose model CloudFormation sends without them) keeps them. Stages
    /// that already carry them, or need none, are returned unchanged.
    pub fn pinned(self, settings: impl FnOnce() -> Option<CreateSettings>) -> Self {
        let stage = match self.stage {
            Stage::StartCreate { settings: None } => Stage::StartCreate {
                settings: settings(),
            },
            Stage::ApplyUpdate { settings: None } => Stage::ApplyUpdate {
                settings: settings(),
            },
            other => other,
        };
        CallbackContext { stage, ..self }
    }

    /// The same stage once more (a poll or a retry).
    pub fn again(&self) -> Self {
        CallbackContext {
            attempt: self.attempt.saturating_add(1),
            ..self.clone()
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
        let ctx = match raw {
            None | Some(Value::Null) => return Ok(Self::first(action)),
            Some(v) => {
                if let Some(version) = v.get("version").and_then(Value::as_u64) {
                    if version != u64::from(CONTEXT_VERSION) {
                        return Err(HandlerError::InvalidRequest(format!(
                            "callbackContext.version: {version} is not supported (this handler writes version {CONTEXT_VERSION})"
                        )));
                    }
                }
                serde_path_to_error::deserialize::<_, CallbackContext>(v).map_err(|e| {
                    HandlerError::InvalidRequest(format!(
                        "callbackContext.{}: {}",
                        e.path(),
                        e.inner()
                    ))
                })?
            }
        };
        if ctx.stage.action() != action {
            return Err(HandlerError::InvalidRequest(format!(
                "callbackContext.stage: {} belongs to {}, not {}",
                ctx.stage.name(),
                ctx.stage.action().as_str(),
                action.as_str()
            )));
        }
        Ok(ctx)
    }

    pub fn first(action: Write) -> CallbackContext {
        Self::new(match action {
            Write::Create => Stage::StartCreate { settings: None },
            Write::Update => Stage::ApplyUpdate { settings: None },
            Write::Delete => Stage::StartDelete,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::model::BillingAccess;
    use serde_json::json;

    #[test]
    fn context_round_trips_through_json() {
        let ctx = CallbackContext::new(Stage::AwaitCreation {
            request_id: CreateAccountRequestId::parse("car-0123456789").unwrap(),
            settings: CreateSettings {
                role_name: "Admin".into(),
                billing: BillingAccess::Deny,
                gov_cloud: true,
            },
        })
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
            CallbackContext::from_request(Write::Create, None)
                .unwrap()
                .stage,
            Stage::StartCreate { settings: None }
        );
        assert_eq!(
            CallbackContext::from_request(Write::Update, None)
                .unwrap()
                .stage,
            Stage::ApplyUpdate { settings: None }
        );
        assert_eq!(
            CallbackContext::from_request(Write::Delete, None)
                .unwrap()
                .stage,
            Stage::StartDelete
        );
    }

    #[test]
    fn context_of_another_action_is_invalid_request() {
        let v = CallbackContext::new(Stage::ApplyUpdate { settings: None }).to_json();
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
        assert_eq!(ctx.stage, Stage::ApplyUpdate { settings: None });
        // And a context without settings writes the same wire form as before.
        assert_eq!(ctx.to_json(), old);
    }

    #[test]
    fn pinning_fills_only_a_first_stage_that_lacks_the_write_only_values() {
        let admin = CreateSettings {
            role_name: "Admin".into(),
            billing: BillingAccess::Deny,
            gov_cloud: false,
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
            again.stage,
            Stage::ApplyUpdate {
                settings: Some(admin.clone())
            }
        );
        let close = CallbackContext::new(Stage::StartDelete).pinned(|| panic!("delete keeps none"));
        assert_eq!(close.stage, Stage::StartDelete);
    }
}
