//! A custom resource's request, read with `aws_lambda_events`' CloudFormation types and
//! translated into what the account lifecycle reads (`step::Request`). Pure: no AWS here.
//!
//! Facts this rests on (CloudFormation's custom-resource documentation):
//! - `ResourceProperties` arrive verbatim from the template with scalars as strings
//!   (`"true"`, `"3600"`), and `ServiceToken` (and `ServiceTimeout`, when set) among them.
//! - `ServiceTimeout` is 1 to 3600 seconds, default 3600: CloudFormation fails the resource if
//!   no answer reaches the ResponseURL by then.
//! - `PhysicalResourceId` (Update, Delete) is what the last answer said.

use std::time::Duration;

use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceRequest as Wire;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::account::lifecycle::{self, CallbackContext, Write};
use crate::account::step::Request;
use crate::vocab::error::HandlerError;
use crate::vocab::identity::fnv1a;
use crate::vocab::lenient;
use crate::vocab::model::{AccountId, CreateAccountRequestId};
use crate::vocab::schema::Schema;

/// The key under which the state travels to a later invocation (the self-invoke's payload, or
/// onEvent's answer that the CDK framework spreads into each isComplete request).
pub const PROGRESS_KEY: &str = "OrganizationsAccountProgress";

/// The start of the PhysicalResourceId answered for a Create that failed before its AccountId
/// was known; the rollback Delete that follows settles whatever it may have started (nothing,
/// without a call, when its properties never passed validation).
pub const NOT_CREATED: &str = "not-created:";

/// The start of the PhysicalResourceId answered for a Create that had to answer while its
/// creation request (the id that follows) was still in flight: the rollback Delete waits for
/// that request and deletes, by DeletionMode, the account it made for this declaration.
pub const CREATING: &str = "creating:";

/// CloudFormation's limit for a custom resource's ServiceTimeout, and its default.
pub const MAX_SERVICE_TIMEOUT: Duration = Duration::from_secs(3600);

/// The identifiers an answer echoes, and where it goes: read leniently, so that a request that
/// fails to parse still gets its FAILED answer. Each is capped (CloudFormation's are far
/// shorter), so that an answer always fits in 4096 bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Echo {
    pub response_url: String,
    pub request_type: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    pub physical_resource_id: Option<String>,
}

/// Longest echoed identifier kept, in characters; the physical id's documented limit is 1 KB.
pub const ECHO_CAP: usize = 1024;

impl Echo {
    pub fn from_payload(payload: &Value) -> Echo {
        let text = |key: &str| -> String {
            match payload.get(key) {
                Some(Value::String(s)) => s.chars().take(ECHO_CAP).collect(),
                _ => String::new(),
            }
        };
        Echo {
            response_url: match payload.get("ResponseURL") {
                Some(Value::String(s)) => s.clone(),
                _ => String::new(),
            },
            request_type: text("RequestType"),
            stack_id: text("StackId"),
            request_id: text("RequestId"),
            logical_resource_id: text("LogicalResourceId"),
            physical_resource_id: Some(text("PhysicalResourceId")).filter(|p| !p.is_empty()),
        }
    }
}

/// The function a ServiceToken or Lambda ARN names, without qualifier: `arn:P:lambda:R:A:function:
/// NAME[:QUALIFIER]`, `A:function:NAME[:QUALIFIER]` or `NAME[:QUALIFIER]`.
pub fn function_name(token: &str) -> Option<&str> {
    let parts: Vec<&str> = token.split(':').collect();
    let name = match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", name, ..] => *name,
        [_, "function", name, ..] => *name,
        [name, ..] => *name,
        [] => return None,
    };
    Some(name).filter(|n| !n.is_empty())
}

/// Whether the CDK provider framework sent this request rather than CloudFormation. The
/// framework invokes its user handlers with the real event, presigned ResponseURL included
/// (aws-cdk-lib's framework.js), and answers CloudFormation itself; what gives it away is the
/// ServiceToken, which names the framework's onEvent function, not this one. CloudFormation
/// invokes the function the ServiceToken names (this one, possibly through an alias).
pub fn called_by_framework(payload: &Value, own_name: Option<&str>) -> bool {
    let token = payload
        .pointer("/ResourceProperties/ServiceToken")
        .or_else(|| payload.get("ServiceToken"))
        .and_then(Value::as_str)
        .and_then(function_name);
    match (token, own_name) {
        (Some(token), Some(own)) => token != own,
        // Without both names there is nothing to tell by: answer CloudFormation as usual.
        _ => false,
    }
}

/// Where a custom resource's work stands between invocations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "state",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Progress {
    /// CDK onEvent finished everything; isComplete has nothing left to do.
    Finished,
    /// CDK onEvent failed after its create made an account: onEvent answered with the AccountId
    /// (so that the framework's FAILED names it and the rollback Delete reaches this function),
    /// and isComplete raises `reason`.
    Failed { reason: String },
    /// The next stage, the model so far (write-only values included: it never goes to
    /// CloudFormation), when the work began (Unix seconds) and how often it was handed on.
    Continue {
        context: CallbackContext,
        model: Value,
        started: u64,
        handoffs: u32,
    },
}

impl Progress {
    /// Where the carried write stands (None once finished), for the answer's PhysicalResourceId.
    pub fn standing(&self) -> Option<lifecycle::Standing> {
        match self {
            Progress::Continue { context, .. } => Some(lifecycle::standing(context)),
            Progress::Finished | Progress::Failed { .. } => None,
        }
    }
}

/// A custom-resource request, understood.
#[derive(Debug, Clone)]
pub struct CustomRequest {
    pub write: Write,
    /// What the lifecycle reads: the properties in the schema's shape, the AccountId added from
    /// PhysicalResourceId on Update and Delete.
    pub view: Request,
    /// Update, Delete: the AccountId the resource stands for, when PhysicalResourceId is one.
    pub account_id: Option<AccountId>,
    /// Delete: the creation request a Create answered with before it settled (`creating:`).
    pub pending_request: Option<CreateAccountRequestId>,
    pub service_timeout: Duration,
    pub progress: Option<Progress>,
    pub seed: u64,
}

impl CustomRequest {
    /// The stage a request starts with when no progress is carried: a Delete whose physical id
    /// names no account first settles what its Create may have started.
    pub fn first_stage(&self) -> CallbackContext {
        match (self.write, &self.account_id) {
            (Write::Delete, None) => lifecycle::settle_creation(self.pending_request.clone()),
            (write, _) => write.first_stage(),
        }
    }
}

fn invalid(message: String) -> HandlerError {
    HandlerError::InvalidRequest(message)
}

/// Parses and translates a request. Errors name the field and the rule; no AWS call precedes.
pub fn parse(payload: &Value) -> Result<CustomRequest, HandlerError> {
    let wire: Wire<Value, Value> = serde_path_to_error::deserialize(payload)
        .map_err(|e| invalid(format!("{}: {}", e.path(), e.inner())))?;
    let progress = match payload.get(PROGRESS_KEY) {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            serde_path_to_error::deserialize::<_, Progress>(v)
                .map_err(|e| invalid(format!("{PROGRESS_KEY}.{}: {}", e.path(), e.inner())))?,
        ),
    };
    let (write, stack_id, logical, request_id, properties, old, physical) = match wire {
        Wire::Create(r) => (
            Write::Create,
            r.stack_id,
            r.logical_resource_id,
            r.request_id,
            r.resource_properties,
            None,
            None,
        ),
        Wire::Update(r) => (
            Write::Update,
            r.stack_id,
            r.logical_resource_id,
            r.request_id,
            r.resource_properties,
            Some(r.old_resource_properties),
            Some(r.physical_resource_id),
        ),
        Wire::Delete(r) => (
            Write::Delete,
            r.stack_id,
            r.logical_resource_id,
            r.request_id,
            r.resource_properties,
            None,
            Some(r.physical_resource_id),
        ),
        // aws_lambda_events marks the enum non-exhaustive; CloudFormation has only these three.
        _ => {
            return Err(invalid(
                "RequestType: expected Create, Update or Delete".into(),
            ))
        }
    };
    let (mut properties, service_timeout) = schema_properties("ResourceProperties", &properties)?;
    let account_id = physical.as_deref().and_then(|p| AccountId::parse(p).ok());
    let mut previous = match &old {
        Some(old) => Some(schema_properties("OldResourceProperties", old)?.0),
        None => None,
    };
    if let Some(id) = &account_id {
        for props in std::iter::once(&mut properties).chain(previous.iter_mut()) {
            props.insert("AccountId".into(), Value::String(id.as_str().to_owned()));
        }
    }
    let pending_request = match write {
        Write::Delete => physical
            .as_deref()
            .and_then(|p| p.strip_prefix(CREATING))
            .and_then(|r| CreateAccountRequestId::parse(r).ok()),
        Write::Create | Write::Update => None,
    };
    // The carried stage is the handler's own, but it travels in a payload anyone who may invoke
    // the function can write: it must be a stage of this request's action.
    if let Some(Progress::Continue { context, .. }) = &progress {
        if context.write() != write {
            return Err(invalid(format!(
                "{PROGRESS_KEY}.context.stage: {} belongs to {}, not {}",
                context.stage_name(),
                context.write().as_str(),
                write.as_str()
            )));
        }
    }
    // A later invocation continues from the model the last step returned, as CloudFormation's
    // callback loop does for the registry type. The account it acts on is the one the request
    // names, whatever the carried progress says (and each changing step checks the account's
    // record itself).
    let current = match &progress {
        Some(Progress::Continue { model, .. }) => {
            let mut model = model.clone();
            if let (Some(id), Some(obj)) = (&account_id, model.as_object_mut()) {
                obj.insert("AccountId".into(), Value::String(id.as_str().to_owned()));
            }
            model
        }
        Some(Progress::Finished | Progress::Failed { .. }) | None => Value::Object(properties),
    };
    let seed = fnv1a(&[&request_id, &logical]);
    Ok(CustomRequest {
        write,
        view: Request {
            stack_id: Some(stack_id),
            logical_resource_id: Some(logical),
            resource_properties: Some(current),
            previous_resource_properties: previous.map(Value::Object),
            ..Request::default()
        },
        account_id,
        pending_request,
        service_timeout,
        progress,
        seed,
    })
}

/// A template's properties in the schema's shape: `ServiceToken` and `ServiceTimeout` are the
/// custom resource's own, and booleans arrive as strings. Everything else goes to the schema
/// unchanged (which rejects unknown names and bad values, naming them).
pub fn schema_properties(
    field: &str,
    raw: &Value,
) -> Result<(Map<String, Value>, Duration), HandlerError> {
    let mut props = match raw {
        Value::Null => Map::new(),
        Value::Object(map) => map.clone(),
        other => {
            return Err(invalid(format!(
                "{field}: expected an object, found {}",
                crate::vocab::lenient::kind(other)
            )))
        }
    };
    props.remove("ServiceToken");
    // CloudFormation sends 1 to 3600 as a string; whitespace aside, nothing else is guessed at.
    let timeout = match props.remove("ServiceTimeout") {
        None | Some(Value::Null) => MAX_SERVICE_TIMEOUT,
        Some(v) => {
            let seconds = match &v {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.trim().parse::<u64>().ok(),
                _ => None,
            };
            match seconds {
                Some(s @ 1..=3600) => Duration::from_secs(s),
                _ => {
                    return Err(invalid(format!(
                    "{field}.ServiceTimeout: {v} is not a whole number of seconds from 1 to 3600"
                )))
                }
            }
        }
    };
    // Booleans arrive as text; the schema says which properties are booleans.
    for (name, spec) in Schema::get().raw()["properties"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if spec["type"] != "boolean" {
            continue;
        }
        if let Some(b) = props
            .get(name)
            .and_then(Value::as_str)
            .and_then(lenient::boolean_text)
        {
            props.insert(name.clone(), Value::Bool(b));
        }
    }
    Ok((props, timeout))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create(props: Value) -> Value {
        json!({
            "RequestType": "Create",
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:accounts",
            "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x",
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/accounts/1111",
            "RequestId": "5d478078-13e9-baf0-464a-7ef285ecc786",
            "LogicalResourceId": "Team",
            "ResourceType": "Custom::OrganizationsAccount",
            "ResourceProperties": props
        })
    }

    #[test]
    fn string_scalars_become_the_schema_types_and_the_custom_resource_keys_go() {
        let r = parse(&create(json!({
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:accounts",
            "ServiceTimeout": "900",
            "AccountName": "Team", "Email": "team@example.com",
            "CreateGovCloudAccount": "true",
            "Tags": [{"Key": "k", "Value": "v"}]
        })))
        .unwrap();
        assert_eq!(r.write, Write::Create);
        assert_eq!(r.service_timeout, Duration::from_secs(900));
        assert_eq!(
            r.view.resource_properties.unwrap(),
            json!({"AccountName": "Team", "Email": "team@example.com",
                   "CreateGovCloudAccount": true, "Tags": [{"Key": "k", "Value": "v"}]})
        );
        assert!(r.account_id.is_none());
    }

    #[test]
    fn update_and_delete_carry_the_account_id_from_the_physical_id() {
        let mut e = create(json!({"AccountName": "B", "Email": "a@example.com"}));
        e["RequestType"] = json!("Update");
        e["PhysicalResourceId"] = json!("123456789012");
        e["OldResourceProperties"] = json!({"AccountName": "A", "Email": "a@example.com"});
        let r = parse(&e).unwrap();
        assert_eq!(r.write, Write::Update);
        assert_eq!(
            r.view.resource_properties.unwrap()["AccountId"],
            "123456789012"
        );
        assert_eq!(
            r.view.previous_resource_properties.unwrap(),
            json!({"AccountName": "A", "Email": "a@example.com", "AccountId": "123456789012"})
        );
        e["RequestType"] = json!("Delete");
        e["PhysicalResourceId"] = json!("not-created:5d478078");
        let r = parse(&e).unwrap();
        assert!(
            r.account_id.is_none(),
            "a failed create's id names no account"
        );
    }

    #[test]
    fn bad_shapes_are_invalid_requests_naming_the_field() {
        let e = parse(&json!({"RequestType": "Replace"})).unwrap_err();
        assert!(e.to_string().contains("Replace"), "{e}");
        let e = parse(&create(json!("not an object"))).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("ResourceProperties: expected an object"),
            "{e}"
        );
        let e = parse(&create(json!({"ServiceTimeout": "7200"}))).unwrap_err();
        assert!(
            e.to_string().contains("ResourceProperties.ServiceTimeout"),
            "{e}"
        );
        let mut missing = create(json!({}));
        missing.as_object_mut().unwrap().remove("StackId");
        let e = parse(&missing).unwrap_err();
        assert!(e.to_string().contains("StackId"), "{e}");
    }

    #[test]
    fn a_continuation_carrying_another_actions_stage_is_invalid() {
        let mut e = create(json!({"AccountName": "Team", "Email": "team@example.com"}));
        let progress = Progress::Continue {
            context: Write::Delete.first_stage(),
            model: json!({"AccountName": "Team", "Email": "team@example.com"}),
            started: 100,
            handoffs: 1,
        };
        e[PROGRESS_KEY] = serde_json::to_value(&progress).unwrap();
        let err = parse(&e).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{PROGRESS_KEY}.context.stage: startDelete belongs to DELETE, not CREATE")
        );
        e[PROGRESS_KEY]["context"]["stage"]["name"] = json!("makeItSo");
        let err = parse(&e).unwrap_err().to_string();
        assert!(
            err.contains("makeItSo is no stage of CREATE, UPDATE or DELETE"),
            "{err}"
        );
    }

    #[test]
    fn a_continuation_resumes_from_its_model_and_stage() {
        let mut e = create(json!({"AccountName": "Team", "Email": "team@example.com"}));
        let progress = Progress::Continue {
            context: Write::Create.first_stage().again(),
            model: json!({"AccountName": "Team", "Email": "team@example.com", "RoleName": "R"}),
            started: 100,
            handoffs: 2,
        };
        e[PROGRESS_KEY] = serde_json::to_value(&progress).unwrap();
        let r = parse(&e).unwrap();
        assert_eq!(r.progress, Some(progress));
        assert_eq!(r.view.resource_properties.unwrap()["RoleName"], "R");
    }

    #[test]
    fn echo_reads_what_it_can_and_caps_every_identifier() {
        let long = "x".repeat(5000);
        let echo = Echo::from_payload(&json!({"ResponseURL": "https://h/p", "StackId": long,
            "RequestId": 7, "PhysicalResourceId": ""}));
        assert_eq!(echo.response_url, "https://h/p");
        assert_eq!(echo.stack_id.len(), ECHO_CAP);
        assert_eq!(echo.request_id, "");
        assert_eq!(echo.physical_resource_id, None);
    }

    #[test]
    fn function_names_are_read_from_arns_partial_arns_and_names_without_qualifier() {
        for (token, name) in [
            (
                "arn:aws:lambda:us-east-1:123456789012:function:accounts",
                "accounts",
            ),
            (
                "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:accounts:live",
                "accounts",
            ),
            ("123456789012:function:accounts:3", "accounts"),
            ("accounts:live", "accounts"),
            ("accounts", "accounts"),
        ] {
            assert_eq!(function_name(token), Some(name), "{token}");
        }
        assert_eq!(function_name(""), None);
    }

    #[test]
    fn the_framework_is_recognised_by_a_service_token_naming_another_function() {
        let mut event = create(json!({"AccountName": "A", "Email": "a@example.com"}));
        // CloudFormation invoking this function, directly or through an alias.
        assert!(!called_by_framework(&event, Some("accounts")));
        event["ResourceProperties"]["ServiceToken"] =
            json!("arn:aws:lambda:us-east-1:123456789012:function:accounts:live");
        assert!(!called_by_framework(&event, Some("accounts")));
        // The CDK provider framework: its own onEvent function is the ServiceToken.
        event["ResourceProperties"]["ServiceToken"] = json!(
            "arn:aws:lambda:us-east-1:123456789012:function:Stack-AccountsProviderframeworkonEvent-AbC"
        );
        assert!(called_by_framework(&event, Some("accounts")));
        // This function's own name unknown (the local driver): no guess.
        assert!(!called_by_framework(&event, None));
    }
}
