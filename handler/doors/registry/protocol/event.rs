//! The ProgressEvent a handler answers with. Its fields are private and it can only be built
//! through constructors that keep the protocol's rules, so a rule cannot be broken by accident:
//! SUCCESS carries no errorCode and no callbackDelaySeconds, FAILED always has an errorCode and
//! a non-empty message, a delete's SUCCESS has no resourceModel key, a list's SUCCESS always has
//! resourceModels. Keys with no value are omitted, never `null`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::vocab::error_code::HandlerErrorCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
/// Where a handler request stands.
pub enum Status {
    /// Not finished: CloudFormation calls back with the callback context after the delay.
    InProgress,
    /// Finished as asked.
    Success,
    /// Finished without doing what was asked; an error code and a message say why.
    Failed,
}

/// The handler's answer to CloudFormation for one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressEvent {
    status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error_code: Option<HandlerErrorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    callback_context: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    callback_delay_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource_model: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource_models: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

impl ProgressEvent {
    fn empty(status: Status) -> Self {
        ProgressEvent {
            status,
            error_code: None,
            message: None,
            callback_context: None,
            callback_delay_seconds: None,
            resource_model: None,
            resource_models: None,
            next_token: None,
        }
    }

    /// SUCCESS of CREATE, READ or UPDATE: the final model.
    pub fn success(model: Value) -> Self {
        ProgressEvent {
            resource_model: Some(model),
            ..Self::empty(Status::Success)
        }
    }

    /// SUCCESS of DELETE: no resourceModel key at all.
    pub fn deleted() -> Self {
        Self::empty(Status::Success)
    }

    /// SUCCESS of LIST: always a resourceModels array (possibly empty), and the next page's token.
    pub fn listed(models: Vec<Value>, next_token: Option<String>) -> Self {
        ProgressEvent {
            resource_models: Some(models),
            next_token: next_token.filter(|t| !t.is_empty()),
            ..Self::empty(Status::Success)
        }
    }

    /// FAILED: an error code and a message that is never empty.
    pub fn failed(code: HandlerErrorCode, message: impl Into<String>) -> Self {
        let message = message.into();
        let message = if message.trim().is_empty() {
            format!("{code:?}: the handler failed without a message")
        } else {
            message
        };
        ProgressEvent {
            error_code: Some(code),
            message: Some(message),
            ..Self::empty(Status::Failed)
        }
    }

    /// IN_PROGRESS: CloudFormation calls back after `delay_seconds` with `context`, and `model`
    /// becomes the next call's resourceProperties.
    pub fn in_progress(model: Value, context: Value, delay_seconds: u32, message: String) -> Self {
        ProgressEvent {
            callback_context: Some(context),
            callback_delay_seconds: Some(delay_seconds),
            resource_model: Some(model),
            message: Some(message).filter(|m| !m.is_empty()),
            ..Self::empty(Status::InProgress)
        }
    }

    /// Where the request stands.
    pub fn status(&self) -> Status {
        self.status
    }
    /// Why it failed (FAILED only).
    pub fn error_code(&self) -> Option<HandlerErrorCode> {
        self.error_code
    }
    /// What CloudFormation shows the user.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
    /// What the next callback carries (IN_PROGRESS only).
    pub fn callback_context(&self) -> Option<&Value> {
        self.callback_context.as_ref()
    }
    /// How long CloudFormation waits before calling back.
    pub fn callback_delay_seconds(&self) -> Option<u32> {
        self.callback_delay_seconds
    }
    /// The model (CREATE, READ, UPDATE).
    pub fn resource_model(&self) -> Option<&Value> {
        self.resource_model.as_ref()
    }
    /// The models of one LIST page.
    pub fn resource_models(&self) -> Option<&[Value]> {
        self.resource_models.as_deref()
    }
    /// Where the next LIST page starts.
    pub fn next_token(&self) -> Option<&str> {
        self.next_token.as_deref()
    }

    /// The event as the JSON CloudFormation reads.
    pub fn to_json(&self) -> Value {
        // Serializing plain data with string keys cannot fail; fall back to a FAILED shape anyway.
        serde_json::to_value(self).unwrap_or_else(|e| {
            serde_json::json!({"status": "FAILED", "errorCode": "InternalFailure",
                "message": format!("could not serialize the progress event: {e}")})
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn success_has_no_error_code_and_no_callback_delay() {
        let v = ProgressEvent::success(json!({"AccountId": "123456789012"})).to_json();
        assert_eq!(v["status"], "SUCCESS");
        assert!(v.get("errorCode").is_none());
        assert!(v.get("callbackDelaySeconds").is_none());
        assert!(v.get("callbackContext").is_none());
    }

    #[test]
    fn failed_always_has_error_code_and_non_empty_message() {
        let v = ProgressEvent::failed(HandlerErrorCode::NotFound, "  ").to_json();
        assert_eq!(v["status"], "FAILED");
        assert_eq!(v["errorCode"], "NotFound");
        assert!(!v["message"].as_str().unwrap().trim().is_empty());
    }

    #[test]
    fn delete_success_has_no_resource_model_key() {
        let v = ProgressEvent::deleted().to_json();
        assert_eq!(v, json!({"status": "SUCCESS"}));
    }

    #[test]
    fn list_success_always_has_resource_models_even_when_empty() {
        let v = ProgressEvent::listed(vec![], Some(String::new())).to_json();
        assert_eq!(v, json!({"status": "SUCCESS", "resourceModels": []}));
    }

    #[test]
    fn keys_without_value_are_omitted_not_null() {
        let v = ProgressEvent::in_progress(json!({}), json!({"v": 1}), 5, String::new()).to_json();
        let obj = v.as_object().unwrap();
        assert!(obj.values().all(|v| !v.is_null()));
        assert!(!obj.contains_key("message"));
        assert_eq!(v["callbackDelaySeconds"], 5);
    }
}
