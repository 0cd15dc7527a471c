//! The resource model as CloudFormation sees it, the identifiers validated once at the boundary,
//! and the desired state of an account as the handler's logic uses it.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::vocab::baseline::{AlternateContacts, DeclaredRegions};
use crate::vocab::error::HandlerError;
use crate::vocab::inside::{AccountAlias, Inside, Named};
use crate::vocab::lenient;
use crate::vocab::parent::{OuPath, ParentRef};
use crate::vocab::schema::Schema;

pub const WRITE_ONLY: &[&str] = &[
    "RoleName",
    "IamUserAccessToBilling",
    "CreateGovCloudAccount",
    "WaitUntilReady",
    "ReadyTimeoutInMinutes",
];
/// How long WaitUntilReady waits when the template does not say (ReadyTimeoutInMinutes).
pub const DEFAULT_READY_MINUTES: u32 = 15;
pub const DEFAULT_ROLE_NAME: &str = "OrganizationAccountAccessRole";

/// Tags whose keys start with this prefix are the handler's own bookkeeping: they are written
/// at creation, never shown in a model, and users may not set them.
pub const BOOKKEEPING_PREFIX: &str = "cfn-organizations-account:";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceModel {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub account_name: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_ids: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub parent_path: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub role_name: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub iam_user_access_to_billing: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_flag"
    )]
    pub create_gov_cloud_account: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub deletion_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_contacts: Option<AlternateContacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_regions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_regions: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_flag"
    )]
    pub delete_default_vpcs: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub account_alias: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_flag"
    )]
    pub ebs_encryption_by_default: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_flag"
    )]
    pub s3_block_public_access: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_flag"
    )]
    pub wait_until_ready: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_u32"
    )]
    pub ready_timeout_in_minutes: Option<u32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub account_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub arn: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub joined_method: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub joined_timestamp: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub status: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub state: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub gov_cloud_account_id: Option<String>,
}

impl ResourceModel {
    /// The in-account properties this model names.
    pub fn named_inside(&self) -> Named {
        Named {
            default_vpcs: self.delete_default_vpcs.is_some(),
            alias: self.account_alias.is_some(),
            ebs_encryption: self.ebs_encryption_by_default.is_some(),
            block_public_access: self.s3_block_public_access.is_some(),
        }
    }

    /// Decodes whatever CloudFormation sent as a model, without the schema's rules (a READ's or
    /// DELETE's model needs only its identifier).
    pub fn from_value(value: Option<&Value>) -> Result<ResourceModel, HandlerError> {
        match value {
            None | Some(Value::Null) => Ok(ResourceModel::default()),
            Some(v) => serde_path_to_error::deserialize(v)
                .map_err(|e| HandlerError::InvalidRequest(format!("{}: {}", e.path(), e.inner()))),
        }
    }

    /// The model as it goes back to CloudFormation: write-only properties are never returned.
    pub fn to_wire(&self) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Object(Default::default()));
        if let Value::Object(map) = &mut value {
            for key in WRITE_ONLY {
                map.remove(*key);
            }
        }
        value
    }

    /// The account id this model names, checked once here.
    pub fn account_id(&self) -> Result<AccountId, HandlerError> {
        match &self.account_id {
            None => Err(HandlerError::NotFound(
                "AccountId: missing; the model does not name an account".into(),
            )),
            Some(id) => AccountId::parse(id),
        }
    }
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $what:literal, $rule:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, HandlerError> {
                let check: fn(&str) -> bool = $check;
                if check(s) {
                    Ok($name(s.to_owned()))
                } else {
                    Err(HandlerError::InvalidRequest(format!(
                        "{}: {} is not {} ({})",
                        $what,
                        crate::vocab::lenient::quote(s),
                        stringify!($name),
                        $rule
                    )))
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                $name::parse(&s).map_err(|e| e.to_string())
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

identifier!(
    /// A 12-digit AWS account id.
    AccountId, "AccountId", "12 digits",
    |s| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
);
identifier!(
    /// A root (`r-...`) or organizational unit (`ou-...-...`) id.
    ParentId, "ParentIds", "r- or ou- followed by lowercase letters and digits",
    |s| is_root_id(s) || is_ou_id(s)
);
identifier!(
    /// The id of a CreateAccount / CreateGovCloudAccount request.
    CreateAccountRequestId, "CreateAccountRequestId", "car- followed by 8 to 32 lowercase letters or digits",
    |s| s.strip_prefix("car-").is_some_and(|r| (8..=32).contains(&r.len()) && lower_alnum(r))
);

fn lower_alnum(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn is_root_id(s: &str) -> bool {
    s.strip_prefix("r-")
        .is_some_and(|r| (4..=32).contains(&r.len()) && lower_alnum(r))
}

fn is_ou_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("ou-") else {
        return false;
    };
    let Some((root, ou)) = rest.split_once('-') else {
        return false;
    };
    (4..=32).contains(&root.len())
        && lower_alnum(root)
        && (8..=32).contains(&ou.len())
        && lower_alnum(ou)
}

impl ParentId {
    pub fn is_root(&self) -> bool {
        is_root_id(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BillingAccess {
    Allow,
    Deny,
}

impl BillingAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingAccess::Allow => "ALLOW",
            BillingAccess::Deny => "DENY",
        }
    }
    pub fn parse(s: &str) -> Option<BillingAccess> {
        match s {
            "ALLOW" => Some(BillingAccess::Allow),
            "DENY" => Some(BillingAccess::Deny),
            _ => None,
        }
    }
}

/// What deleting the resource does to the account. Accounts are the most expensive thing a
/// stack can lose (a closed account takes its workloads, keeps its e-mail address and counts
/// against the close quota), and a private type cannot default to DeletionPolicy Retain, so
/// the default refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DeletionMode {
    /// Nothing changes in Organizations; the delete fails saying how to keep or close.
    Refuse,
    /// CloseAccount, then wait until the account is no longer ACTIVE.
    Close,
    /// RemoveAccountFromOrganization.
    Remove,
}

impl DeletionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            DeletionMode::Refuse => "REFUSE",
            DeletionMode::Close => "CLOSE",
            DeletionMode::Remove => "REMOVE",
        }
    }

    /// A template's DeletionMode, or InvalidRequest naming the values allowed.
    pub fn from_property(s: &str) -> Result<DeletionMode, HandlerError> {
        DeletionMode::parse(s).ok_or_else(|| {
            HandlerError::InvalidRequest(format!(
                "DeletionMode: {} is not one of REFUSE, CLOSE, REMOVE",
                lenient::quote(s)
            ))
        })
    }

    /// Parses a value the schema already allowed (or a recorded one); unknown is None.
    pub fn parse(s: &str) -> Option<DeletionMode> {
        match s {
            "REFUSE" => Some(DeletionMode::Refuse),
            "CLOSE" => Some(DeletionMode::Close),
            "REMOVE" => Some(DeletionMode::Remove),
            _ => None,
        }
    }
}

/// What CreateAccount is called with that later steps still need. CloudFormation strips
/// write-only properties (RoleName, IamUserAccessToBilling, CreateGovCloudAccount) from the
/// models it sends back on callbacks, so the callback context carries them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSettings {
    pub role_name: String,
    pub billing: BillingAccess,
    pub gov_cloud: bool,
    /// WaitUntilReady: wait at most this many minutes for the new account to be usable.
    /// Absent in contexts written before the wait existed, which then do not wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_within_minutes: Option<u32>,
}

/// Tag keys no template may declare and no update touches: AWS's own (`aws:`) and this
/// handler's bookkeeping, both in any case (AWS reserves `aws:` whatever its case).
pub fn is_reserved_tag_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    lower.starts_with("aws:") || lower.starts_with(BOOKKEEPING_PREFIX)
}

/// Organizations allows 50 tags on an account.
pub const MAX_ACCOUNT_TAGS: usize = 50;

/// The resource's and the stack's tags plus the handler's own (its record, and what the account
/// held inside before when the template declares something there: `handler_tags`) must fit in
/// 50, and each must be a tag Organizations accepts: a stack's tags reach CreateAccount and
/// TagResource with the resource's own, but no schema checks them, and Organizations refuses a
/// whole request for one bad tag (InvalidInputException). Checked before any call.
pub fn check_tags(
    effective: &BTreeMap<String, String>,
    stack_tags: &BTreeMap<String, String>,
    handler_tags: usize,
) -> Result<(), HandlerError> {
    let total = effective.len() + handler_tags;
    if total > MAX_ACCOUNT_TAGS {
        let whose = match handler_tags {
            1 => "the handler's record tag".to_owned(),
            n => format!("the handler's {n} tags (its record, and what the account held inside before AccountAlias, EbsEncryptionByDefault or S3BlockPublicAccess change it)"),
        };
        return Err(HandlerError::InvalidRequest(format!(
            "Tags: {} resource and stack tags plus {whose} make {total}; an account can have at most {MAX_ACCOUNT_TAGS} tags",
            effective.len()
        )));
    }
    for (key, value) in effective {
        // A resource tag of the same key wins over the stack's, so its value is the one sent.
        let whose = match stack_tags.get(key) {
            Some(v) if v == value => "stack tag",
            _ => "tag",
        };
        if let Some(rule) = tag_rule_broken(key, value) {
            return Err(HandlerError::InvalidRequest(format!(
                "{whose} {}: {rule}",
                lenient::quote(key)
            )));
        }
    }
    Ok(())
}

/// Organizations' TagKey (1-128) and TagValue (0-256) rule, `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`
/// (the service model): which part breaks it, or None.
pub fn tag_rule_broken(key: &str, value: &str) -> Option<String> {
    static CHAR: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let allowed = CHAR.get_or_init(|| {
        regex::Regex::new(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]$").expect("a valid pattern")
    });
    let bad = |s: &str| {
        s.chars()
            .find(|c| !allowed.is_match(c.encode_utf8(&mut [0; 4])))
    };
    const RULE: &str =
        "only letters, digits, spaces and _ . : / = + - @ are allowed (Organizations' tag rule)";
    let key_len = key.chars().count();
    if !(1..=128).contains(&key_len) {
        return Some(format!(
            "the key has {key_len} characters; 1 to 128 are allowed"
        ));
    }
    if let Some(c) = bad(key) {
        return Some(format!("the key contains {c:?}; {RULE}"));
    }
    let value_len = value.chars().count();
    if value_len > 256 {
        return Some(format!(
            "the value has {value_len} characters; at most 256 are allowed"
        ));
    }
    bad(value).map(|c| format!("the value {} contains {c:?}; {RULE}", lenient::quote(value)))
}

/// A validated desired state: what CREATE and UPDATE work from.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredAccount {
    pub name: String,
    pub email: String,
    /// ParentIds or ParentPath (at most one of them).
    pub parent: Option<ParentRef>,
    pub role_name: String,
    pub billing: BillingAccess,
    pub gov_cloud: bool,
    pub deletion: DeletionMode,
    /// The resource's own tags (not stack tags), by key.
    pub tags: BTreeMap<String, String>,
    /// AlternateContacts, when the template declares the property (absent: never touched).
    pub contacts: Option<AlternateContacts>,
    /// EnabledRegions and DisabledRegions.
    pub regions: DeclaredRegions,
    /// DeleteDefaultVpcs, AccountAlias, EbsEncryptionByDefault, S3BlockPublicAccess: done as
    /// the account itself.
    pub inside: Inside,
    /// WaitUntilReady (or implied by `inside`): the longest wait, in minutes, for a new account
    /// to be usable.
    pub ready_within_minutes: Option<u32>,
    /// The account id, when the model already names one (updates, callbacks).
    pub account_id: Option<AccountId>,
}

impl DesiredAccount {
    /// Validates properties against the schema, then the rules a schema cannot say.
    pub fn from_properties(properties: Option<&Value>) -> Result<DesiredAccount, HandlerError> {
        let value = match properties {
            None | Some(Value::Null) => {
                return Err(HandlerError::InvalidRequest(
                    "resourceProperties: missing; AccountName and Email are required".into(),
                ))
            }
            Some(v) => v,
        };
        Schema::get()
            .validate(value)
            .map_err(|v| HandlerError::InvalidRequest(v.to_string()))?;
        let model = ResourceModel::from_value(Some(value))?;
        DesiredAccount::from_model(&model)
    }

    fn from_model(model: &ResourceModel) -> Result<DesiredAccount, HandlerError> {
        let required = |v: &Option<String>, name: &str| {
            v.clone()
                .ok_or_else(|| HandlerError::InvalidRequest(format!("{name}: is required")))
        };
        let by_id = match model.parent_ids.as_deref() {
            None | Some([]) => None,
            Some([one]) => Some(ParentRef::Id(ParentId::parse(one)?)),
            Some(more) => {
                return Err(HandlerError::InvalidRequest(format!(
                    "ParentIds: has {} items; at most 1 allowed",
                    more.len()
                )))
            }
        };
        let by_path = model
            .parent_path
            .as_deref()
            .map(OuPath::parse)
            .transpose()?
            .map(ParentRef::Path);
        let parent = match (by_id, by_path) {
            (Some(id), Some(path)) => {
                return Err(HandlerError::InvalidRequest(format!(
                    "ParentIds and ParentPath: both name the account's parent ({id} and {path}); declare one of them"
                )))
            }
            (id, path) => id.or(path),
        };
        let inside = Inside {
            delete_default_vpcs: model.delete_default_vpcs.unwrap_or(false),
            alias: model
                .account_alias
                .as_deref()
                .map(AccountAlias::parse)
                .transpose()?,
            ebs_encryption: model.ebs_encryption_by_default,
            block_public_access: model.s3_block_public_access,
        };
        let billing = match model.iam_user_access_to_billing.as_deref() {
            None => BillingAccess::Allow,
            Some(s) => BillingAccess::parse(s).ok_or_else(|| {
                HandlerError::InvalidRequest(format!(
                    "IamUserAccessToBilling: {} is not one of ALLOW, DENY",
                    lenient::quote(s)
                ))
            })?,
        };
        let mut tags = BTreeMap::new();
        for (i, tag) in model.tags.iter().flatten().enumerate() {
            if is_reserved_tag_key(&tag.key) {
                return Err(HandlerError::InvalidRequest(format!(
                    "Tags[{i}].Key: {} uses a reserved prefix (aws: or {BOOKKEEPING_PREFIX})",
                    lenient::quote(&tag.key)
                )));
            }
            if tags.insert(tag.key.clone(), tag.value.clone()).is_some() {
                return Err(HandlerError::InvalidRequest(format!(
                    "Tags[{i}].Key: {} appears more than once",
                    lenient::quote(&tag.key)
                )));
            }
        }
        Ok(DesiredAccount {
            name: required(&model.account_name, "AccountName")?,
            email: required(&model.email, "Email")?,
            parent,
            role_name: model
                .role_name
                .clone()
                .unwrap_or_else(|| DEFAULT_ROLE_NAME.into()),
            billing,
            gov_cloud: model.create_gov_cloud_account.unwrap_or(false),
            deletion: match model.deletion_mode.as_deref() {
                None => DeletionMode::Refuse,
                Some(s) => DeletionMode::from_property(s)?,
            },
            tags,
            contacts: model.alternate_contacts.clone(),
            regions: DeclaredRegions::new(
                model.enabled_regions.as_deref().unwrap_or_default(),
                model.disabled_regions.as_deref().unwrap_or_default(),
            )?,
            // What is done inside the account needs its role, so it implies the wait.
            ready_within_minutes: match (model.wait_until_ready, inside.is_empty()) {
                (Some(true), _) | (_, false) => Some(
                    model
                        .ready_timeout_in_minutes
                        .unwrap_or(DEFAULT_READY_MINUTES),
                ),
                (Some(false) | None, true) => None,
            },
            inside,
            account_id: model
                .account_id
                .as_deref()
                .map(AccountId::parse)
                .transpose()?,
        })
    }

    /// The write-only values CreateAccount is called with.
    pub fn settings(&self) -> CreateSettings {
        CreateSettings {
            role_name: self.role_name.clone(),
            billing: self.billing,
            gov_cloud: self.gov_cloud,
            ready_within_minutes: self.ready_within_minutes,
        }
    }

    /// Resource tags plus stack tags (a resource tag wins over a stack tag of the same key).
    pub fn effective_tags(
        &self,
        stack_tags: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut all: BTreeMap<String, String> = stack_tags
            .iter()
            .filter(|(k, _)| !is_reserved_tag_key(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        all.extend(self.tags.clone());
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sorted(v: impl IntoIterator<Item = String>) -> Vec<String> {
        let mut v: Vec<String> = v.into_iter().collect();
        v.sort();
        v
    }

    fn strs(v: &[&str]) -> Vec<String> {
        sorted(v.iter().map(|s| s.to_string()))
    }

    #[test]
    fn model_fields_agree_with_schema_properties() {
        let full = ResourceModel {
            account_name: Some("a".into()),
            email: Some("a".into()),
            parent_ids: Some(vec![]),
            parent_path: Some("/".into()),
            role_name: Some("a".into()),
            iam_user_access_to_billing: Some("a".into()),
            create_gov_cloud_account: Some(true),
            deletion_mode: Some("a".into()),
            tags: Some(vec![]),
            alternate_contacts: Some(Default::default()),
            enabled_regions: Some(vec![]),
            disabled_regions: Some(vec![]),
            delete_default_vpcs: Some(true),
            account_alias: Some("a".into()),
            ebs_encryption_by_default: Some(true),
            s3_block_public_access: Some(true),
            wait_until_ready: Some(true),
            ready_timeout_in_minutes: Some(1),
            account_id: Some("a".into()),
            arn: Some("a".into()),
            joined_method: Some("a".into()),
            joined_timestamp: Some("a".into()),
            status: Some("a".into()),
            state: Some("a".into()),
            gov_cloud_account_id: Some("a".into()),
        };
        let keys = sorted(
            serde_json::to_value(&full)
                .unwrap()
                .as_object()
                .unwrap()
                .keys()
                .cloned(),
        );
        assert_eq!(keys, sorted(Schema::get().property_names()));
    }

    #[test]
    fn write_only_properties_and_the_default_role_agree_with_schema() {
        let s = Schema::get();
        assert_eq!(
            strs(WRITE_ONLY),
            sorted(s.property_set("writeOnlyProperties"))
        );
        assert_eq!(
            s.raw()["properties"]["RoleName"]["default"],
            json!(DEFAULT_ROLE_NAME)
        );
    }

    #[test]
    fn to_wire_never_contains_write_only_properties() {
        let m = ResourceModel {
            role_name: Some("R".into()),
            iam_user_access_to_billing: Some("DENY".into()),
            create_gov_cloud_account: Some(true),
            account_id: Some("123456789012".into()),
            ..Default::default()
        };
        assert_eq!(m.to_wire(), json!({"AccountId": "123456789012"}));
    }

    #[test]
    fn desired_account_defaults_role_and_billing() {
        let d =
            DesiredAccount::from_properties(Some(&json!({"AccountName": "A", "Email": "a@b.co"})))
                .unwrap();
        assert_eq!(d.role_name, DEFAULT_ROLE_NAME);
        assert_eq!(d.billing, BillingAccess::Allow);
        assert!(!d.gov_cloud);
        assert!(d.parent.is_none());
    }

    #[test]
    fn a_parent_is_named_by_id_or_by_path_but_not_both() {
        let by = |extra: Value| {
            let mut props = json!({"AccountName": "A", "Email": "a@b.co"});
            props
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            DesiredAccount::from_properties(Some(&props))
        };
        let path = by(json!({"ParentPath": "/Workloads/Prod"})).unwrap();
        assert_eq!(
            path.parent,
            Some(ParentRef::Path(OuPath::parse("/Workloads/Prod").unwrap()))
        );
        let id = by(json!({"ParentIds": ["ou-ab12-cd34ef56"]})).unwrap();
        assert_eq!(
            id.parent,
            Some(ParentRef::Id(ParentId::parse("ou-ab12-cd34ef56").unwrap()))
        );
        let both = by(json!({"ParentIds": ["ou-ab12-cd34ef56"], "ParentPath": "/Workloads"}))
            .unwrap_err()
            .to_string();
        assert!(both.contains("ParentIds and ParentPath"), "{both}");
        // The schema's pattern refuses a path that does not start at the root, before anything.
        let relative = by(json!({"ParentPath": "Workloads"}))
            .unwrap_err()
            .to_string();
        assert!(relative.contains("ParentPath"), "{relative}");
    }

    #[test]
    fn reserved_tag_prefixes_are_rejected() {
        for key in ["aws:foo", "cfn-organizations-account:resource"] {
            let e = DesiredAccount::from_properties(Some(
                &json!({"AccountName": "A", "Email": "a@b.co",
                "Tags": [{"Key": key, "Value": "x"}]}),
            ))
            .unwrap_err();
            assert!(e.to_string().contains("reserved prefix"), "{e}");
        }
    }

    #[test]
    fn duplicate_tag_keys_are_rejected() {
        let e =
            DesiredAccount::from_properties(Some(&json!({"AccountName": "A", "Email": "a@b.co",
            "Tags": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]})))
            .unwrap_err();
        assert!(e.to_string().contains("appears more than once"), "{e}");
    }

    #[test]
    fn identifiers_are_validated_once_at_the_boundary() {
        assert!(AccountId::parse("123456789012").is_ok());
        assert!(AccountId::parse("12345678901a").is_err());
        assert!(ParentId::parse("r-ab12").unwrap().is_root());
        assert!(!ParentId::parse("ou-ab12-abcdefgh").unwrap().is_root());
        assert!(ParentId::parse("ou-ab12").is_err());
        assert!(CreateAccountRequestId::parse("car-0123abcd").is_ok());
        assert!(CreateAccountRequestId::parse("car-XYZ").is_err());
    }

    #[test]
    fn tags_beyond_fifty_with_the_record_fail_naming_the_count() {
        let tags: BTreeMap<String, String> =
            (0..49).map(|i| (format!("k{i}"), String::new())).collect();
        check_tags(&tags, &BTreeMap::new(), 1).unwrap();
        let mut more = tags.clone();
        more.insert("one-more".into(), String::new());
        let e = check_tags(&more, &BTreeMap::new(), 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Tags: 50 resource and stack tags plus the handler's record tag make 51; an account can have at most 50 tags"
        );
        // Declaring something inside the account adds the record of what it held there.
        let e = check_tags(&tags, &BTreeMap::new(), 2).unwrap_err();
        assert!(
            e.to_string().starts_with("Tags: 49 resource and stack tags plus the handler's 2 tags (its record, and what the account held inside before"),
            "{e}"
        );
    }

    #[test]
    fn stack_tags_are_merged_and_resource_tags_win() {
        let d =
            DesiredAccount::from_properties(Some(&json!({"AccountName": "A", "Email": "a@b.co",
            "Tags": [{"Key": "team", "Value": "mine"}]})))
            .unwrap();
        let stack = BTreeMap::from([
            ("team".to_string(), "stack".to_string()),
            ("cost".to_string(), "1".to_string()),
            ("aws:cloudformation:stack-name".to_string(), "s".to_string()),
        ]);
        let all = d.effective_tags(&stack);
        assert_eq!(all.get("team").unwrap(), "mine");
        assert_eq!(all.get("cost").unwrap(), "1");
        assert!(!all.contains_key("aws:cloudformation:stack-name"));
    }

    #[test]
    fn stack_tags_outside_organizations_tag_rule_are_refused_naming_the_tag() {
        let resource = BTreeMap::from([("team".to_string(), "platform".to_string())]);
        let stack = BTreeMap::from([("owner".to_string(), "platform {team}".to_string())]);
        let mut effective = stack.clone();
        effective.extend(resource);
        let e = check_tags(&effective, &stack, 1).unwrap_err();
        assert_eq!(
            e.code(),
            crate::vocab::error_code::HandlerErrorCode::InvalidRequest
        );
        assert_eq!(
            e.to_string(),
            "stack tag \"owner\": the value \"platform {team}\" contains '{'; only letters, digits, spaces and _ . : / = + - @ are allowed (Organizations' tag rule)"
        );
        for (k, v, says) in [
            ("a\tb", "", "the key contains '\\t'"),
            ("", "v", "the key has 0 characters"),
            ("k", &"v".repeat(257), "at most 256"),
            ("cost(centre)", "1", "the key contains '('"),
        ] {
            let tags = BTreeMap::from([(k.to_string(), v.to_string())]);
            let e = check_tags(&tags, &tags, 1).unwrap_err().to_string();
            assert!(e.contains(says), "{k:?}: {e}");
        }
        // Letters and digits of any script, spaces (a no-break space too) and the punctuation
        // the rule names pass; an empty value is allowed.
        let fine = BTreeMap::from([
            (
                "Équipe 名前".to_string(),
                "a_b.c:d/e=f+g-h@i\u{a0}٣".to_string(),
            ),
            ("empty".to_string(), String::new()),
        ]);
        check_tags(&fine, &BTreeMap::new(), 1).unwrap();
    }

    #[test]
    fn reserved_tag_keys_are_aws_and_bookkeeping_in_any_case() {
        for key in [
            "aws:cloudformation:stack-name",
            "AWS:x",
            "cfn-organizations-account:record",
            "CFN-Organizations-Account:x",
        ] {
            assert!(is_reserved_tag_key(key), "{key}");
        }
        for key in ["team", "awsome", "cfn-organizations-account", "cost:aws:"] {
            assert!(!is_reserved_tag_key(key), "{key}");
        }
    }
}
