//! What a custom resource answers: the body PUT to ResponseURL (CloudFormation reads at most
//! 4096 bytes, so the body is cut to fit by construction), and the values the CDK provider
//! framework expects back from onEvent and isComplete. Pure.

use std::collections::{BTreeMap, HashMap};

use aws_lambda_events::event::cloudformation::provider::CloudFormationCustomResourceResponse as CdkResponse;
use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceResponse as Response, CloudFormationCustomResourceResponseStatus,
};
use serde_json::{json, Value};

use super::event::{Echo, Progress, PROGRESS_KEY};
use crate::vocab::model::ResourceModel;

/// CloudFormation's limit for a response body.
pub const MAX_BODY: usize = 4096;

/// How the work ended, in custom-resource terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Success {
        physical_id: String,
        data: BTreeMap<String, String>,
    },
    Failed {
        physical_id: String,
        reason: String,
    },
}

impl Answer {
    pub fn physical_id(&self) -> &str {
        match self {
            Answer::Success { physical_id, .. } | Answer::Failed { physical_id, .. } => physical_id,
        }
    }
}

/// `Fn::GetAtt` values: the read-only properties of the account.
pub fn data(model: &ResourceModel) -> BTreeMap<String, String> {
    [
        ("AccountId", &model.account_id),
        ("Arn", &model.arn),
        ("JoinedMethod", &model.joined_method),
        ("JoinedTimestamp", &model.joined_timestamp),
        ("Status", &model.status),
        ("State", &model.state),
        ("GovCloudAccountId", &model.gov_cloud_account_id),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k.to_owned(), v)))
    .collect()
}

/// Cuts at least `bytes` bytes (and room for "...") off the end, at a character boundary.
fn shorten(text: &mut String, bytes: usize) {
    let target = text.len().saturating_sub(bytes + 3);
    let cut = (0..=target)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    text.truncate(cut);
    text.push_str("...");
}

/// The JSON PUT to ResponseURL, never more than `MAX_BODY` bytes: the reason is shortened
/// first, then the data dropped, then the echoed identifiers shortened (which CloudFormation's
/// own never need: they are capped at 1 KB each when read).
pub fn body(echo: &Echo, answer: &Answer) -> Vec<u8> {
    let mut response = Response::default();
    response.stack_id = echo.stack_id.clone();
    response.request_id = echo.request_id.clone();
    response.logical_resource_id = echo.logical_resource_id.clone();
    response.physical_resource_id = answer.physical_id().to_owned();
    match answer {
        Answer::Success { data, .. } => {
            response.status = CloudFormationCustomResourceResponseStatus::Success;
            response.data = data.clone().into_iter().collect::<HashMap<_, _>>();
        }
        Answer::Failed { reason, .. } => {
            response.status = CloudFormationCustomResourceResponseStatus::Failed;
            response.reason = Some(reason.clone());
        }
    }
    loop {
        // Plain strings and a string map always serialize.
        let bytes = serde_json::to_vec(&response).unwrap_or_else(|_| b"{}".to_vec());
        if bytes.len() <= MAX_BODY {
            return bytes;
        }
        let over = bytes.len().saturating_sub(MAX_BODY);
        match &mut response.reason {
            Some(reason) if reason.len() > 3 => shorten(reason, over),
            _ if !response.data.is_empty() => response.data.clear(),
            _ => {
                // Only oversized identifiers are left: halve the longest.
                let longest = [
                    &mut response.stack_id,
                    &mut response.request_id,
                    &mut response.logical_resource_id,
                    &mut response.physical_resource_id,
                ]
                .into_iter()
                .max_by_key(|s| s.len());
                if let Some(s) = longest {
                    let half = s.chars().count() / 2;
                    let cut = s.char_indices().nth(half).map_or(0, |(i, _)| i);
                    s.truncate(cut);
                }
            }
        }
    }
}

/// CDK onEvent's answer: the physical id, the data when known, and where the work stands (the
/// framework spreads this object into every isComplete request).
pub fn on_event(physical_id: &str, data: BTreeMap<String, String>, progress: &Progress) -> Value {
    let mut response = CdkResponse::<BTreeMap<String, String>>::default();
    response.physical_resource_id = Some(physical_id.to_owned());
    response.data = data;
    response.other.insert(
        PROGRESS_KEY.into(),
        serde_json::to_value(progress).unwrap_or(Value::Null),
    );
    serde_json::to_value(&response).unwrap_or(Value::Null)
}

/// CDK isComplete's answer: `None` while not complete (no Data then: the framework refuses
/// it), else complete with the Data and, for a Create that onEvent could only answer with its
/// pending id, the AccountId (the framework spreads isComplete's result over the event it
/// answers CloudFormation with, so this becomes the PhysicalResourceId).
pub fn is_complete(done: Option<(Option<&str>, BTreeMap<String, String>)>) -> Value {
    let Some((physical_id, data)) = done else {
        return json!({"IsComplete": false});
    };
    let mut answer = json!({"IsComplete": true});
    if let Some(id) = physical_id {
        answer["PhysicalResourceId"] = json!(id);
    }
    if !data.is_empty() {
        answer["Data"] = json!(data);
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn echo() -> Echo {
        Echo {
            response_url: "https://h/p".into(),
            request_type: "Create".into(),
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1".into(),
            request_id: "r-1".into(),
            logical_resource_id: "Team".into(),
            physical_resource_id: None,
        }
    }

    #[test]
    fn success_echoes_the_request_and_carries_the_data() {
        let model = ResourceModel {
            account_id: Some("123456789012".into()),
            state: Some("ACTIVE".into()),
            ..ResourceModel::default()
        };
        let answer = Answer::Success {
            physical_id: "123456789012".into(),
            data: data(&model),
        };
        let v: Value = serde_json::from_slice(&body(&echo(), &answer)).unwrap();
        assert_eq!(v["Status"], "SUCCESS");
        assert_eq!(v["PhysicalResourceId"], "123456789012");
        assert_eq!(v["RequestId"], "r-1");
        assert_eq!(v["LogicalResourceId"], "Team");
        assert_eq!(
            v["Data"],
            json!({"AccountId": "123456789012", "State": "ACTIVE"})
        );
    }

    #[test]
    fn a_long_reason_is_shortened_to_fit_4096_bytes() {
        let answer = Answer::Failed {
            physical_id: "not-created:r-1".into(),
            reason: "é".repeat(10_000),
        };
        let bytes = body(&echo(), &answer);
        assert!(bytes.len() <= MAX_BODY, "{}", bytes.len());
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["Status"], "FAILED");
        assert!(v["Reason"].as_str().unwrap().ends_with("..."));
        assert!(
            v["Reason"].as_str().unwrap().len() > 3000,
            "keeps most of it"
        );
    }

    proptest! {
        #[test]
        fn every_body_fits_and_parses(reason in ".{0,3000}", ids in proptest::collection::vec(".{0,1024}", 4),
                                      data in proptest::collection::btree_map("[A-Za-z]{1,20}", ".{0,600}", 0..8)) {
            let e = Echo { stack_id: ids[0].clone(), request_id: ids[1].clone(),
                           logical_resource_id: ids[2].clone(), ..echo() };
            for answer in [Answer::Failed { physical_id: ids[3].clone(), reason: reason.clone() },
                           Answer::Success { physical_id: ids[3].clone(), data: data.clone() }] {
                let bytes = body(&e, &answer);
                prop_assert!(bytes.len() <= MAX_BODY, "{} bytes", bytes.len());
                let v: Value = serde_json::from_slice(&bytes).unwrap();
                prop_assert!(v["Status"] == "SUCCESS" || v["Status"] == "FAILED");
            }
        }
    }
}
