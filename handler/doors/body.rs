//! The glue between the Lambda runtime and the doors. The runtime deserializes payloads itself
//! and reports a failure as a Lambda error (CloudFormation then sees no ProgressEvent); this
//! layer sees the raw body first and wraps it: a body the runtime's decoder accepts becomes
//! `{"json": <body>}`, any other `{"notJson": "<why>"}`, both of which decode into [`Payload`],
//! the type the function takes. The check *is* the decoder (`decode`, the same calls on the
//! same bytes), so the two cannot disagree.

use std::task::{Context, Poll};

use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::LambdaInvocation;
use serde::Deserialize;
use serde_json::Value;

/// What an invocation brought: a JSON payload, or why the body was not one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Payload {
    /// The body, decoded.
    Json(Value),
    /// Why the runtime's decoder refused the body.
    NotJson(String),
}

/// The tower layer that wraps each invocation's body (see the module's documentation).
#[derive(Clone, Copy, Default)]
pub struct NonJsonGuard;

impl<S> Layer<S> for NonJsonGuard {
    type Service = NonJsonGuardService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        NonJsonGuardService { inner }
    }
}

/// [`NonJsonGuard`] around the runtime's own service.
pub struct NonJsonGuardService<S> {
    inner: S,
}

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for NonJsonGuardService<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: LambdaInvocation) -> Self::Future {
        req.body = guard_body(req.body);
        self.inner.call(req)
    }
}

/// What lambda_runtime (1.x, `deserializer::deserialize`) does with a body for a function taking
/// `T`: `serde_path_to_error::deserialize` over `serde_json::Deserializer::from_slice`. A looser
/// check (`IgnoredAny`) passed bodies this refuses: invalid UTF-8 inside a string, lone
/// surrogate escapes, numbers beyond f64.
fn runtime_decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| e.to_string())
}

/// A guarded body, as the runtime decodes it for the function.
pub fn decode(body: &[u8]) -> Result<Payload, String> {
    runtime_decode(body)
}

/// Wraps a body the runtime decodes as `{"json": body}`; replaces any other with
/// `{"notJson": "<why it is not JSON>"}`.
pub fn guard_body(body: bytes::Bytes) -> bytes::Bytes {
    let why = match runtime_decode::<Value>(&body) {
        Ok(_) => {
            let mut wrapped = Vec::with_capacity(body.len() + 9);
            wrapped.extend_from_slice(b"{\"json\":");
            wrapped.extend_from_slice(&body);
            wrapped.push(b'}');
            // The wrapper adds one level of nesting, which may be one past the decoder's limit.
            match decode(&wrapped) {
                Ok(_) => return bytes::Bytes::from(wrapped),
                Err(e) => e,
            }
        }
        Err(e) => e,
    };
    let not_json =
        serde_json::json!({ "notJson": format!("not JSON ({why}); {} bytes", body.len()) });
    bytes::Bytes::from(not_json.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_arrive_whole_and_others_say_why_they_are_not_json() {
        let ok = bytes::Bytes::from_static(b"{\"action\":\"READ\",\"x\":[1,2]}");
        assert_eq!(
            decode(&guard_body(ok)),
            Ok(Payload::Json(
                serde_json::json!({"action": "READ", "x": [1, 2]})
            ))
        );
        match decode(&guard_body(bytes::Bytes::from_static(b"\x00\xffnot json"))) {
            Ok(Payload::NotJson(why)) => assert!(why.starts_with("not JSON"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bodies_a_looser_check_passed_are_not_json_and_still_decode() {
        let cases: [&[u8]; 4] = [
            b"{\"action\":\"READ\",\"x\":\"\xff\xfe\"}",
            b"{\"x\":\"\\ud800\"}",
            b"{\"x\":1e400}",
            &[b'['; 200],
        ];
        for body in cases {
            // The old check let the first three through; the runtime refuses them all.
            let guarded = guard_body(bytes::Bytes::copy_from_slice(body));
            let payload = decode(&guarded).expect("the guarded body decodes");
            assert!(matches!(payload, Payload::NotJson(_)), "{payload:?}");
        }
    }

    #[test]
    fn a_body_at_the_nesting_limit_is_not_json_rather_than_undecodable_once_wrapped() {
        let mut cut_by_the_wrapper = 0;
        for depth in 120..135 {
            let body = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
            let alone = runtime_decode::<Value>(body.as_bytes()).is_ok();
            let guarded = decode(&guard_body(bytes::Bytes::from(body))).expect("decodes");
            match guarded {
                Payload::Json(_) => assert!(alone, "depth {depth}"),
                Payload::NotJson(_) if alone => cut_by_the_wrapper += 1,
                Payload::NotJson(_) => {}
            }
        }
        // Exactly the body at the limit: the decoder took it alone, not wrapped.
        assert_eq!(cut_by_the_wrapper, 1);
    }
}
