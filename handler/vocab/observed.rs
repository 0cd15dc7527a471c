//! What the handler observes of an account, as plain types: Organizations' view of the account
//! and of its creation requests, and the one record tag the handler keeps on the accounts it
//! creates. The AWS seams fill them (translate.rs); the lifecycle reads them. No SDK here.

use std::collections::BTreeMap;

use crate::vocab::before::{Before, TAG_BEFORE};

use crate::vocab::model::{
    is_reserved_tag_key, AccountId, CreateAccountRequestId, ParentId, ResourceModel, Tag,
};

/// An account as Organizations describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    pub id: AccountId,
    pub name: Option<String>,
    pub email: Option<String>,
    pub arn: Option<String>,
    pub joined_method: Option<String>,
    pub joined_timestamp: Option<String>,
    /// JoinedTimestamp in Unix seconds.
    pub joined_at: Option<i64>,
    /// Legacy Status, filled from State when the service omits it.
    pub status: Option<String>,
    pub state: Option<String>,
}

impl AccountView {
    /// Whether READ finds this account: not closed, suspended or pending closure.
    pub fn is_live(&self) -> bool {
        match (self.state.as_deref(), self.status.as_deref()) {
            (Some(state), _) => matches!(state, "ACTIVE" | "PENDING_ACTIVATION"),
            (None, Some(status)) => status == "ACTIVE",
            (None, None) => true,
        }
    }

    pub fn lifecycle(&self) -> &str {
        self.state
            .as_deref()
            .or(self.status.as_deref())
            .unwrap_or("UNKNOWN")
    }
}

/// Status is being retired in favour of State; the model keeps both.
pub fn status_from_state(state: &str) -> Option<&'static str> {
    match state {
        "PENDING_ACTIVATION" | "ACTIVE" => Some("ACTIVE"),
        "SUSPENDED" | "CLOSED" => Some("SUSPENDED"),
        "PENDING_CLOSURE" => Some("PENDING_CLOSURE"),
        _ => None,
    }
}

/// What a create request is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateState {
    InProgress,
    Succeeded {
        account_id: AccountId,
        gov_cloud_account_id: Option<AccountId>,
    },
    Failed {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateStatus {
    pub request_id: CreateAccountRequestId,
    pub account_name: Option<String>,
    /// When the request was made, in Unix milliseconds (Organizations' RequestedTimestamp).
    pub requested_ms: Option<i64>,
    /// When it finished, in Unix milliseconds (CompletedTimestamp; absent while in progress).
    pub completed_ms: Option<i64>,
    pub state: CreateState,
}

/// The one tag the handler keeps on an account it created (an account may have only 50 tags):
/// which declaration created it and what Organizations cannot give back (role, billing access,
/// the paired GovCloud id). Its value is `v1 resource=... role=... billing=... govcloud=...`.
pub const TAG_RECORD: &str = "cfn-organizations-account:record";

/// What the handler recorded on the account when it created it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bookkeeping {
    /// Which declaration created the account (a digest of stack name and logical id).
    pub resource: Option<String>,
    /// The RoleName it was created with (Organizations cannot say).
    pub role_name: Option<String>,
    /// The IamUserAccessToBilling it was created with (Organizations cannot say).
    pub billing: Option<String>,
    /// Present when the account was created with CreateGovCloudAccount; empty until known.
    pub gov_cloud_account_id: Option<String>,
    /// The DeletionMode the template last asked for.
    pub deletion: Option<String>,
    /// Where the account was before a template first placed it (a root or OU id): where it goes
    /// back when no template names a parent any more.
    pub origin: Option<String>,
    /// The AccountName and Email (a digest) a template declared before it followed a rename or
    /// an e-mail change made outside CloudFormation: a later request for them again is the
    /// rollback of that update (custom resources carry no rollback flag), not a change.
    pub followed: Option<String>,
}

impl Bookkeeping {
    /// The record as a tag value. Tag values allow letters, digits, spaces and `_.:/=+-@`; role
    /// names may hold `,`, which becomes `:` (a character role names cannot have).
    pub fn encode(&self) -> String {
        let mut out = String::from("v1");
        let fields = [
            ("resource", self.resource.clone()),
            ("role", self.role_name.as_ref().map(|r| r.replace(',', ":"))),
            ("billing", self.billing.clone()),
            (
                "govcloud",
                self.gov_cloud_account_id.as_ref().map(|g| {
                    if g.is_empty() {
                        "pending".into()
                    } else {
                        g.clone()
                    }
                }),
            ),
            ("deletion", self.deletion.clone()),
            ("origin", self.origin.clone()),
            ("was", self.followed.clone()),
        ];
        for (key, value) in fields {
            if let Some(v) = value {
                out.push_str(&format!(" {key}={v}"));
            }
        }
        out
    }

    /// Reads a record; unknown fields (from a later version) are ignored.
    pub fn decode(value: &str) -> Bookkeeping {
        let mut book = Bookkeeping::default();
        for item in value.split(' ') {
            let Some((key, v)) = item.split_once('=') else {
                continue;
            };
            match key {
                "resource" => book.resource = Some(v.to_owned()),
                "role" => book.role_name = Some(v.replace(':', ",")),
                "billing" => book.billing = Some(v.to_owned()),
                "deletion" => book.deletion = Some(v.to_owned()),
                "origin" => book.origin = Some(v.to_owned()),
                "was" => book.followed = Some(v.to_owned()),
                "govcloud" => {
                    book.gov_cloud_account_id = Some(if v == "pending" {
                        String::new()
                    } else {
                        v.to_owned()
                    })
                }
                _ => {}
            }
        }
        book
    }
}

/// Splits an account's tags into the user's (aws: system tags dropped), the bookkeeping and
/// what the account held inside before a template declared it.
pub fn split_tags(
    all: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Bookkeeping, Before) {
    let mut user = BTreeMap::new();
    let mut book = Bookkeeping::default();
    let mut before = Before::default();
    for (k, v) in all {
        if k == TAG_RECORD {
            book = Bookkeeping::decode(v);
        } else if k == TAG_BEFORE {
            before = Before::decode(v);
        } else if !is_reserved_tag_key(k) {
            user.insert(k.clone(), v.clone());
        }
    }
    (user, book, before)
}

/// The full model READ returns.
pub fn model_from(
    view: &AccountView,
    parent: &ParentId,
    user_tags: &BTreeMap<String, String>,
    book: &Bookkeeping,
) -> ResourceModel {
    ResourceModel {
        account_name: view.name.clone(),
        email: view.email.clone(),
        parent_ids: Some(vec![parent.to_string()]),
        // No tags is an absent property, not an empty list.
        tags: Some(
            user_tags
                .iter()
                .map(|(k, v)| Tag {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect::<Vec<_>>(),
        )
        .filter(|tags| !tags.is_empty()),
        gov_cloud_account_id: book
            .gov_cloud_account_id
            .clone()
            .filter(|id| !id.is_empty()),
        deletion_mode: book.deletion.clone(),
        ..summary_model(view)
    }
}

/// The model LIST returns: identifier, name, e-mail and read-only properties.
pub fn summary_model(view: &AccountView) -> ResourceModel {
    ResourceModel {
        account_id: Some(view.id.to_string()),
        account_name: view.name.clone(),
        email: view.email.clone(),
        arn: view.arn.clone(),
        joined_method: view.joined_method.clone(),
        joined_timestamp: view.joined_timestamp.clone(),
        status: view.status.clone(),
        state: view.state.clone(),
        ..ResourceModel::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookkeeping_and_system_tags_never_reach_the_user_tags() {
        let record = Bookkeeping {
            resource: Some("abc".into()),
            role_name: Some("Admin".into()),
            billing: None,
            gov_cloud_account_id: Some(String::new()),
            deletion: None,
            origin: None,
            followed: None,
        };
        let all = BTreeMap::from([
            ("team".to_string(), "a".to_string()),
            (TAG_RECORD.to_string(), record.encode()),
            (
                "cfn-organizations-account:future".to_string(),
                "x".to_string(),
            ),
            ("aws:cloudformation:stack-id".to_string(), "x".to_string()),
            (TAG_BEFORE.to_string(), "v1 alias=-".to_string()),
        ]);
        let (user, book, before) = split_tags(&all);
        assert_eq!(user.keys().collect::<Vec<_>>(), ["team"]);
        assert_eq!(book, record);
        assert_eq!(before.alias, Some(None));
    }

    #[test]
    fn record_round_trips_and_fits_the_tag_value_rules() {
        let book = Bookkeeping {
            resource: Some("0123456789abcdef".into()),
            role_name: Some("Ops,Admin+=.@-_x".into()),
            billing: Some("DENY".into()),
            gov_cloud_account_id: Some("444455556666".into()),
            deletion: Some("REMOVE".into()),
            origin: Some("ou-ab12-abcdefgh".into()),
            followed: Some(crate::vocab::identity::declared_names(
                "Team A",
                "a@example.com",
            )),
        };
        let value = book.encode();
        assert_eq!(
            value,
            format!("v1 resource=0123456789abcdef role=Ops:Admin+=.@-_x billing=DENY govcloud=444455556666 deletion=REMOVE origin=ou-ab12-abcdefgh was={}", book.followed.clone().unwrap_or_default())
        );
        // The tag value pattern of Organizations: [\p{L}\p{Z}\p{N}_.:/=+\-@]*, at most 256.
        assert!(value.len() <= 256);
        assert!(value
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)));
        assert_eq!(Bookkeeping::decode(&value), book);
        // The longest role name and OU id still fit.
        let long = Bookkeeping {
            role_name: Some("r".repeat(64)),
            origin: Some(format!("ou-{}-{}", "a".repeat(32), "b".repeat(32))),
            ..book
        };
        assert!(long.encode().len() <= 256);
    }
}
