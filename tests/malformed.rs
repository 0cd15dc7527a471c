//! The binary never panics on input and never returns a Lambda error: every malformed payload
//! comes back as FAILED with InvalidRequest (or InvalidCredentials) and a message saying what was
//! wrong, before any AWS call (the mocked client has no answers, so a call would show up).

mod support;

use organizations_account_handler::doors::body::{decode, guard_body};
use organizations_account_handler::doors::registry::dispatch::handle;
use organizations_account_handler::doors::registry::protocol::{HandlerErrorCode, Status};
use organizations_account_handler::doors::{route, Reply};
use serde_json::{json, Value};
use support::mocks::*;

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
    let payload = decode(&body).expect("the runtime decodes every guarded body");
    let Reply::Registry(event) = route(&clients(&[]), payload, None, "").await else {
        panic!("a body that is not JSON goes to the registry door");
    };
    assert_eq!(event.status(), Status::Failed, "{event:?}");
    let (code, message) = (event.error_code(), event.message().unwrap_or_default());
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

mod raw_bytes {
    //! Property tests over the raw-bytes entry point: whatever bytes arrive, the guard leaves
    //! a body the runtime's decoder accepts, and the answer is a FAILED ProgressEvent (with a
    //! code that means "your request", never a Lambda error, never a call).

    use super::*;
    use organizations_account_handler::doors::registry::protocol::ProgressEvent;
    use proptest::prelude::*;
    use std::sync::LazyLock;

    static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    });

    /// Bytes in, as the Lambda runtime would hand them to the function: guard, decode, route.
    fn entry(body: &[u8]) -> ProgressEvent {
        let guarded = guard_body(bytes::Bytes::copy_from_slice(body));
        let payload = decode(&guarded).expect("the runtime's decoder accepts every guarded body");
        match RUNTIME.block_on(route(&clients(&[]), payload, None, "")) {
            Reply::Registry(event) => event,
            Reply::Custom(result) => panic!("went to the custom-resource door: {result:?}"),
        }
    }

    fn assert_refused(body: &[u8]) {
        let event = entry(body);
        assert_eq!(event.status(), Status::Failed, "{event:?}");
        assert!(
            matches!(
                event.error_code(),
                Some(HandlerErrorCode::InvalidRequest | HandlerErrorCode::InvalidCredentials)
            ),
            "{event:?}"
        );
        assert!(!event.message().unwrap_or_default().is_empty());
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            ".{0,20}".prop_map(Value::from),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("action".to_owned()),
                        Just("requestData".to_owned()),
                        Just("callbackContext".to_owned()),
                        ".{0,8}"
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_get_a_failed_event(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            assert_refused(&body);
        }

        #[test]
        fn arbitrary_json_gets_a_failed_event(v in json_value()) {
            assert_refused(v.to_string().as_bytes());
        }

        #[test]
        fn deeply_nested_json_gets_a_failed_event(depth in 1usize..5000, object in any::<bool>()) {
            let (open, close) = if object { ("{\"a\":", "}") } else { ("[", "]") };
            let body = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            assert_refused(body.as_bytes());
        }

        #[test]
        fn invalid_utf8_inside_strings_gets_a_failed_event(
            junk in proptest::collection::vec(0x80u8..=0xff, 1..16),
            action in prop_oneof![Just("READ"), Just("CREATE")],
        ) {
            let mut body = format!("{{\"action\":\"{action}\",\"requestData\":{{\"logicalResourceId\":\"").into_bytes();
            body.extend(&junk);
            body.extend(b"\"}}");
            assert_refused(&body);
        }
    }

    #[test]
    fn a_huge_document_gets_a_failed_event() {
        let body = format!(
            "{{\"action\":\"READ\",\"padding\":\"{}\"}}",
            "x".repeat(6 << 20)
        );
        assert_refused(body.as_bytes());
        let wide = format!("[{}1]", "1,".repeat(1 << 20));
        assert_refused(wide.as_bytes());
    }
}
