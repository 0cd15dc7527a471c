//! The glue between the Lambda runtime and the dispatcher. The runtime deserializes payloads
//! itself and reports a failure as a Lambda error (CloudFormation then sees no ProgressEvent);
//! this layer sees the raw body first and turns any body the runtime's decoder would refuse into
//! a marker the protocol layer answers with FAILED/InvalidRequest. The check *is* the decoder
//! (`decode`, the same calls on the same bytes), so the two cannot disagree.

use std::task::{Context, Poll};

use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::LambdaInvocation;

use crate::doors::registry::protocol::NOT_JSON_MARKER;

#[derive(Clone, Copy, Default)]
pub struct NonJsonGuard;

impl<S> Layer<S> for NonJsonGuard {
    type Service = NonJsonGuardService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        NonJsonGuardService { inner }
    }
}

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
/// `serde_json::Value`: `serde_path_to_error::deserialize` over `serde_json::Deserializer::
/// from_slice`. A looser check (`IgnoredAny`) passed bodies this refuses: invalid UTF-8 inside a
/// string, lone surrogate escapes, numbers beyond f64.
pub fn decode(body: &[u8]) -> Result<serde_json::Value, String> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| e.to_string())
}

/// Leaves a body the runtime decodes alone; replaces any other with
/// `{"<marker>": "<why it is not JSON>"}`, which it decodes.
pub fn guard_body(body: bytes::Bytes) -> bytes::Bytes {
    match decode(&body) {
        Ok(_) => body,
        Err(e) => {
            let marker = serde_json::json!({ NOT_JSON_MARKER: format!("not JSON ({e}); {} bytes", body.len()) });
            bytes::Bytes::from(marker.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_pass_untouched_and_others_become_the_marker() {
        let ok = bytes::Bytes::from_static(b"{\"action\":\"READ\"}");
        assert_eq!(guard_body(ok.clone()), ok);
        let bad = guard_body(bytes::Bytes::from_static(b"\x00\xffnot json"));
        let v: serde_json::Value = serde_json::from_slice(&bad).unwrap();
        assert!(v[NOT_JSON_MARKER].as_str().unwrap().starts_with("not JSON"));
    }

    #[test]
    fn bodies_a_looser_check_passed_become_the_marker_the_runtime_decodes() {
        let cases: [&[u8]; 4] = [
            b"{\"action\":\"READ\",\"x\":\"\xff\xfe\"}",
            b"{\"x\":\"\\ud800\"}",
            b"{\"x\":1e400}",
            &[b'['; 200],
        ];
        for body in cases {
            // The old check let the first three through; the runtime refuses them all.
            let guarded = guard_body(bytes::Bytes::copy_from_slice(body));
            let v = decode(&guarded).expect("the guarded body decodes");
            assert!(v.get(NOT_JSON_MARKER).is_some(), "{v}");
        }
    }
}
