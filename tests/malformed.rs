//! The binary never panics on input and never returns a Lambda error: every malformed payload
//! comes back as FAILED with InvalidRequest (or InvalidCredentials) and a message saying what was
//! wrong, before any AWS call (the mocked client has no answers, so a call would show up).

mod mocks;

use mocks::*;
use organizations_account_handler::dispatch::handle;
use organizations_account_handler::lambda::guard_body;
use organizations_account_handler::protocol::{HandlerErrorCode, Status};
use serde_json::{json, Value};

async fn answer(payload: Value) -> (Option<HandlerErrorCode>, String) {
    let event = handle(&clients(&[]), payload).await;
    assert_eq!(event.status(), Status::Failed, "{event:?}");
    (
        event.error_code(),
        event.message().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn not_json_fails_with_invalid_request() {
    let body = guard_body(bytes::Bytes::from_static(b"<xml>definitely not json"));
    let payload: Value = serde_json::from_slice(&body).unwrap();
    let (code, message) = answer(payload).await;
    assert_eq!(code, Some(HandlerErrorCode::InvalidRequest));
    assert!(message.starts_with("request: not JSON"), "{message}");
}

#[tokio::test]
async fn non_object_payloads_fail_with_invalid_request() {
    for payload in [json!(null), json!(42), json!("CREATE"), json!([1, 2])] {
        let (code, message) = answer(payload).await;
        assert_eq!(code, Some(HandlerErrorCode::InvalidRequest));
        assert!(
            message.starts_with("request: expected a JSON object"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn wrong_types_fail_naming_the_path() {
    let mut p = request("CREATE", desired(), None);
    p["requestData"]["stackTags"] = json!(["not", "a", "map"]);
    let (code, message) = answer(p).await;
    assert_eq!(code, Some(HandlerErrorCode::InvalidRequest));
    assert!(message.starts_with("requestData.stackTags:"), "{message}");

    let mut p = request("CREATE", desired(), None);
    p["requestData"]["resourceProperties"]["Tags"] = json!({"Key": "k"});
    let (_, message) = answer(p).await;
    assert_eq!(message, "Tags: expected an array, found an object");

    let mut p = request("CREATE", desired(), None);
    p["callbackContext"] = json!({"version": 1, "stage": 7});
    let (_, message) = answer(p).await;
    assert!(message.starts_with("callbackContext.stage"), "{message}");
}

#[tokio::test]
async fn missing_and_unknown_actions_fail_with_invalid_request() {
    let mut p = request("CREATE", desired(), None);
    p.as_object_mut().unwrap().remove("action");
    assert_eq!(
        answer(p).await.1,
        "action: missing; expected one of CREATE, READ, UPDATE, DELETE, LIST"
    );
    let p = request("IMPORT", desired(), None);
    assert_eq!(
        answer(p).await.1,
        "action: \"IMPORT\" is not one of CREATE, READ, UPDATE, DELETE, LIST"
    );
}

#[tokio::test]
async fn huge_strings_fail_with_short_messages() {
    let huge = "x".repeat(5_000_000);
    let mut p = request("CREATE", desired(), None);
    p["requestData"]["resourceProperties"]["AccountName"] = json!(huge);
    let (code, message) = answer(p).await;
    assert_eq!(code, Some(HandlerErrorCode::InvalidRequest));
    assert!(
        message.starts_with("AccountName: ") && message.len() < 200,
        "{}",
        &message[..200.min(message.len())]
    );
    let p = request(&huge, desired(), None);
    let (_, message) = answer(p).await;
    assert!(message.len() < 200);
}

#[tokio::test]
async fn missing_or_malformed_credentials_fail_with_invalid_credentials() {
    let mut p = request("READ", json!({"AccountId": ACCOUNT}), None);
    p["requestData"]
        .as_object_mut()
        .unwrap()
        .remove("callerCredentials");
    assert_eq!(
        answer(p).await.0,
        Some(HandlerErrorCode::InvalidCredentials)
    );
    let mut p = request("READ", json!({"AccountId": ACCOUNT}), None);
    p["requestData"]["callerCredentials"] = json!({"accessKeyId": 5, "secretAccessKey": "x"});
    let (code, message) = answer(p).await;
    assert_eq!(code, Some(HandlerErrorCode::InvalidCredentials));
    assert_eq!(
        message,
        "requestData.callerCredentials.accessKeyId: expected a string, found a number"
    );
}

#[tokio::test]
async fn bad_identifiers_fail_before_any_call() {
    let (code, message) = answer(request("READ", json!({"AccountId": "12"}), None)).await;
    assert_eq!(code, Some(HandlerErrorCode::InvalidRequest));
    assert!(
        message.starts_with("AccountId: \"12\" is not AccountId"),
        "{message}"
    );
    let (code, _) = answer(request("DELETE", json!({}), None)).await;
    assert_eq!(code, Some(HandlerErrorCode::NotFound));
}

#[tokio::test]
async fn a_panic_inside_handler_code_becomes_failed_internal_failure() {
    use aws_sdk_organizations::operation::describe_account::DescribeAccountOutput;
    use aws_sdk_organizations::Client;
    use aws_smithy_mocks::mock;
    let exploding = mock!(Client::describe_account)
        .then_output(|| -> DescribeAccountOutput { panic!("boom inside a call") });
    let event = handle(
        &clients(&[&exploding]),
        request("READ", json!({"AccountId": ACCOUNT}), None),
    )
    .await;
    assert_eq!(event.status(), Status::Failed);
    assert_eq!(event.error_code(), Some(HandlerErrorCode::InternalFailure));
    assert!(
        event.message().unwrap().contains("boom inside a call"),
        "{:?}",
        event.message()
    );
}
