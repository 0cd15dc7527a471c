//! The request CloudFormation sends (protocol 2.0.0), and the shape `sam local invoke
//! TestEntrypoint` sends. Every field CloudFormation may omit is optional, explicit `null` is
//! accepted, unknown keys are ignored, and scalars may arrive as strings.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::vocab::credentials::CallerCredentials;
use crate::vocab::error_code::HandlerErrorCode;
use crate::vocab::lenient::{self, kind, quote};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
    List,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "CREATE",
            Action::Read => "READ",
            Action::Update => "UPDATE",
            Action::Delete => "DELETE",
            Action::List => "LIST",
        }
    }

    fn parse(s: &str) -> Option<Action> {
        match s.trim().to_ascii_uppercase().as_str() {
            "CREATE" => Some(Action::Create),
            "READ" => Some(Action::Read),
            "UPDATE" => Some(Action::Update),
            "DELETE" => Some(Action::Delete),
            "LIST" => Some(Action::List),
            _ => None,
        }
    }
}

/// A request as the handler sees it, whichever shape it arrived in.
#[derive(Clone, Default)]
pub struct HandlerRequest {
    pub action: Option<Action>,
    /// The client request token: the same on every callback of one operation. Never logged.
    pub bearer_token: Option<String>,
    pub region: Option<String>,
    pub resource_type: Option<String>,
    pub stack_id: Option<String>,
    pub callback_context: Option<Value>,
    pub next_token: Option<String>,
    /// True when CloudFormation says this update is a rollback.
    pub rollback: bool,
    caller_credentials: Option<Value>,
    /// For the type owner's log delivery (present when the type was registered with a logging
    /// configuration); never used for Organizations.
    provider_credentials: Option<Value>,
    pub provider_log_group_name: Option<String>,
    pub logical_resource_id: Option<String>,
    pub resource_properties: Option<Value>,
    pub previous_resource_properties: Option<Value>,
    pub stack_tags: BTreeMap<String, String>,
    pub previous_stack_tags: BTreeMap<String, String>,
}

impl fmt::Debug for HandlerRequest {
    // Deliberately partial: credentials and the bearer token are never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerRequest")
            .field("action", &self.action)
            .field("logical_resource_id", &self.logical_resource_id)
            .field("stack_id", &self.stack_id)
            .field("region", &self.region)
            .field("callback_context", &self.callback_context)
            .finish_non_exhaustive()
    }
}

/// Why a request could not be understood. Each maps to FAILED with a precise code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("{0}")]
    Malformed(String),
    #[error("action: missing; expected one of CREATE, READ, UPDATE, DELETE, LIST")]
    MissingAction,
    #[error("action: {0} is not one of CREATE, READ, UPDATE, DELETE, LIST")]
    UnknownAction(String),
    #[error("{0}")]
    Credentials(String),
}

impl RequestError {
    pub fn code(&self) -> HandlerErrorCode {
        match self {
            RequestError::Malformed(_)
            | RequestError::MissingAction
            | RequestError::UnknownAction(_) => HandlerErrorCode::InvalidRequest,
            RequestError::Credentials(_) => HandlerErrorCode::InvalidCredentials,
        }
    }
}

impl HandlerRequest {
    /// The action, or why there is none.
    pub fn action(&self) -> Result<Action, RequestError> {
        self.action.ok_or(RequestError::MissingAction)
    }

    /// The caller's credentials, checked for shape. Every AWS call uses these, never the
    /// function's own role.
    pub fn caller_credentials(&self) -> Result<CallerCredentials, RequestError> {
        const FIELD: &str = "requestData.callerCredentials";
        match &self.caller_credentials {
            None | Some(Value::Null) => Err(RequestError::Credentials(format!(
                "{FIELD}: missing; every call to AWS is made with the caller's credentials"
            ))),
            Some(v) => credentials_at(FIELD, v),
        }
    }

    /// The type owner's credentials for log and metric delivery, when CloudFormation sent them.
    pub fn provider_credentials(&self) -> Result<Option<CallerCredentials>, RequestError> {
        match &self.provider_credentials {
            None | Some(Value::Null) => Ok(None),
            Some(v) => credentials_at("requestData.providerCredentials", v).map(Some),
        }
    }
}

/// Credentials at `field`, checked without ever echoing a value.
fn credentials_at(field: &str, value: &Value) -> Result<CallerCredentials, RequestError> {
    let obj = match value {
        Value::Object(obj) => obj,
        other => {
            return Err(RequestError::Credentials(format!(
                "{field}: expected an object, found {}",
                kind(other)
            )))
        }
    };
    let member = |name: &str, required: bool| -> Result<Option<String>, RequestError> {
        match obj.get(name) {
            None | Some(Value::Null) if !required => Ok(None),
            Some(Value::String(s)) if !s.is_empty() || !required => {
                Ok(Some(s.clone()).filter(|s| !s.is_empty()))
            }
            None | Some(Value::Null) | Some(Value::String(_)) => Err(RequestError::Credentials(
                format!("{field}.{name}: missing or empty"),
            )),
            Some(other) => Err(RequestError::Credentials(format!(
                "{field}.{name}: expected a string, found {}",
                kind(other)
            ))),
        }
    };
    let access_key_id = member("accessKeyId", true)?.unwrap_or_default();
    let secret_access_key = member("secretAccessKey", true)?.unwrap_or_default();
    let session_token = member("sessionToken", false)?;
    // Access key ids are 16-128 word characters; say so without echoing the value.
    let valid_id = (16..=128).contains(&access_key_id.len())
        && access_key_id.chars().all(|c| c.is_ascii_alphanumeric());
    if !valid_id {
        return Err(RequestError::Credentials(format!(
            "{field}.accessKeyId: not an access key id (16 to 128 letters or digits)"
        )));
    }
    Ok(CallerCredentials {
        access_key_id,
        secret_access_key,
        session_token,
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct WireRequest {
    #[serde(deserialize_with = "lenient::opt_string")]
    action: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    bearer_token: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    region: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    resource_type: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    stack_id: Option<String>,
    callback_context: Option<Value>,
    #[serde(deserialize_with = "lenient::opt_string")]
    next_token: Option<String>,
    #[serde(deserialize_with = "lenient::flag")]
    rollback: bool,
    request_data: Option<WireRequestData>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct WireRequestData {
    caller_credentials: Option<Value>,
    provider_credentials: Option<Value>,
    #[serde(deserialize_with = "lenient::opt_string")]
    provider_log_group_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    logical_resource_id: Option<String>,
    resource_properties: Option<Value>,
    previous_resource_properties: Option<Value>,
    #[serde(deserialize_with = "lenient::tag_map")]
    stack_tags: BTreeMap<String, String>,
    #[serde(deserialize_with = "lenient::tag_map")]
    previous_stack_tags: BTreeMap<String, String>,
}

/// The `sam local invoke TestEntrypoint` shape.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct WireTestEntrypoint {
    credentials: Option<Value>,
    #[serde(deserialize_with = "lenient::opt_string")]
    action: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    region: Option<String>,
    request: WireTestRequest,
    callback_context: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct WireTestRequest {
    #[serde(deserialize_with = "lenient::opt_string")]
    client_request_token: Option<String>,
    desired_resource_state: Option<Value>,
    previous_resource_state: Option<Value>,
    #[serde(deserialize_with = "lenient::opt_string")]
    logical_resource_identifier: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    next_token: Option<String>,
}

fn decode<T: for<'de> Deserialize<'de>>(value: &Value) -> Result<T, RequestError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." {
            "request".to_owned()
        } else {
            path
        };
        RequestError::Malformed(format!("{path}: {}", e.inner()))
    })
}

/// Parses a payload of either shape. Fails only on what makes the request unusable; the action
/// may still be missing (the caller answers FAILED/InvalidRequest for that).
pub fn parse_request(payload: &Value) -> Result<HandlerRequest, RequestError> {
    let obj = match payload {
        Value::Object(obj) => obj,
        other => {
            return Err(RequestError::Malformed(format!(
                "request: expected a JSON object, found {}",
                kind(other)
            )))
        }
    };
    let is_test_entrypoint = obj.contains_key("request") && !obj.contains_key("requestData");
    let mut request = if is_test_entrypoint {
        let w: WireTestEntrypoint = decode(payload)?;
        HandlerRequest {
            action: None,
            bearer_token: w.request.client_request_token,
            region: w.region,
            callback_context: w.callback_context,
            next_token: w.request.next_token,
            caller_credentials: w.credentials,
            logical_resource_id: w.request.logical_resource_identifier,
            resource_properties: w.request.desired_resource_state,
            previous_resource_properties: w.request.previous_resource_state,
            ..HandlerRequest::default()
        }
        .with_action(w.action)?
    } else {
        let w: WireRequest = decode(payload)?;
        let data = w.request_data.unwrap_or_default();
        HandlerRequest {
            action: None,
            bearer_token: w.bearer_token,
            region: w.region,
            resource_type: w.resource_type,
            stack_id: w.stack_id,
            callback_context: w.callback_context,
            next_token: w.next_token,
            rollback: w.rollback,
            caller_credentials: data.caller_credentials,
            provider_credentials: data.provider_credentials,
            provider_log_group_name: data.provider_log_group_name,
            logical_resource_id: data.logical_resource_id,
            resource_properties: data.resource_properties,
            previous_resource_properties: data.previous_resource_properties,
            stack_tags: data.stack_tags,
            previous_stack_tags: data.previous_stack_tags,
        }
        .with_action(w.action)?
    };
    // An empty callback context object means "first call", like an absent one.
    if matches!(&request.callback_context, Some(Value::Object(m)) if m.is_empty()) {
        request.callback_context = None;
    }
    Ok(request)
}

impl HandlerRequest {
    fn with_action(mut self, action: Option<String>) -> Result<Self, RequestError> {
        self.action = match action {
            None => None,
            Some(a) => {
                Some(Action::parse(&a).ok_or_else(|| RequestError::UnknownAction(quote(&a)))?)
            }
        };
        Ok(self)
    }
}

/// A request the protocol cannot carry out fails with the code of its fault.
impl From<RequestError> for crate::vocab::error::HandlerError {
    fn from(e: RequestError) -> Self {
        use crate::vocab::error::HandlerError;
        match e {
            RequestError::Credentials(m) => HandlerError::InvalidCredentials(m),
            RequestError::Malformed(_)
            | RequestError::MissingAction
            | RequestError::UnknownAction(_) => HandlerError::InvalidRequest(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn full_request() -> Value {
        json!({
            "action": "CREATE",
            "awsAccountId": 123456789012u64,
            "bearerToken": "token-1",
            "region": "us-east-1",
            "resourceType": "AWS::Organizations::Account",
            "resourceTypeVersion": 3,
            "stackId": null,
            "callbackContext": null,
            "rollback": "true",
            "snapshotRequested": false,
            "features": {"x": 1},
            "requestData": {
                "callerCredentials": {"accessKeyId": "AKIAFAKEFAKEFAKE0001", "secretAccessKey": "s", "sessionToken": "t"},
                "providerCredentials": null,
                "logicalResourceId": "MyAccount",
                "resourceProperties": {"AccountName": "a"},
                "stackTags": {"team": "x", "n": 1},
                "systemTags": null
            }
        })
    }

    #[test]
    fn parses_full_request_with_unknown_keys_nulls_and_stringly_scalars() {
        let r = parse_request(&full_request()).unwrap();
        assert_eq!(r.action, Some(Action::Create));
        assert!(r.rollback);
        assert_eq!(r.stack_tags.get("n").map(String::as_str), Some("1"));
        assert_eq!(
            r.caller_credentials().unwrap().session_token.as_deref(),
            Some("t")
        );
    }

    #[test]
    fn parses_test_entrypoint_shape() {
        let r = parse_request(&json!({
            "credentials": {"accessKeyId": "AKIAFAKEFAKEFAKE0001", "secretAccessKey": "s"},
            "action": "READ",
            "request": {"clientRequestToken": "tok", "desiredResourceState": {"AccountId": "111111111111"},
                         "logicalResourceIdentifier": "Acct"},
            "callbackContext": {}
        }))
        .unwrap();
        assert_eq!(r.action, Some(Action::Read));
        assert_eq!(r.logical_resource_id.as_deref(), Some("Acct"));
        assert!(r.callback_context.is_none());
        assert!(r.caller_credentials().is_ok());
    }

    #[test]
    fn wrong_type_fails_with_the_path_of_the_bad_field() {
        let mut v = full_request();
        v["requestData"]["logicalResourceId"] = json!(["x"]);
        let e = parse_request(&v).unwrap_err();
        assert_eq!(e.code(), HandlerErrorCode::InvalidRequest);
        assert!(
            e.to_string().starts_with("requestData.logicalResourceId:"),
            "{e}"
        );
    }

    #[test]
    fn unknown_action_is_invalid_request_naming_the_value() {
        let mut v = full_request();
        v["action"] = json!("EXPLODE");
        let e = parse_request(&v).unwrap_err();
        assert_eq!(e, RequestError::UnknownAction("\"EXPLODE\"".into()));
    }

    #[test]
    fn missing_credentials_is_invalid_credentials() {
        let mut v = full_request();
        v["requestData"]["callerCredentials"] = Value::Null;
        let e = parse_request(&v).unwrap().caller_credentials().unwrap_err();
        assert_eq!(e.code(), HandlerErrorCode::InvalidCredentials);
    }

    #[test]
    fn debug_output_never_shows_credentials_or_bearer_token() {
        let r = parse_request(&full_request()).unwrap();
        let text = format!("{r:?} {:?}", r.caller_credentials().unwrap());
        for secret in ["AKIAFAKEFAKEFAKE0001", "token-1", "\"s\"", "\"t\""] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}
