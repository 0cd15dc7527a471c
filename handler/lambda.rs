//! The glue between the Lambda runtime and the dispatcher. The runtime deserializes payloads
//! itself and reports a failure as a Lambda error; this layer sees the raw body first and turns
//! a body that is not JSON into a marker the protocol layer answers with FAILED/InvalidRequest.

use std::task::{Context, Poll};

use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::LambdaInvocation;

use crate::protocol::NOT_JSON_MARKER;

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

/// Leaves JSON alone; replaces anything else with `{"<marker>": "<why it is not JSON>"}`.
pub fn guard_body(body: bytes::Bytes) -> bytes::Bytes {
    match serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
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
}
