//! The log output of full requests never contains the caller's credentials or the bearer
//! token, at the most verbose level. Its own test binary: a thread-local subscriber shares
//! tracing's callsite cache with nothing else.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_sdk_organizations::operation::create_account::CreateAccountOutput;
use aws_sdk_organizations::types::CreateAccountState;
use aws_sdk_organizations::Client;
use aws_smithy_mocks::mock;
use organizations_account_handler::doors::registry::dispatch::{handle, handle_with_lines};
use organizations_account_handler::doors::registry::protocol::Status;
use serde_json::json;
use support::mocks::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_of_a_full_request_never_contain_credentials_or_bearer_token() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber =
        organizations_account_handler::doors::logging::subscriber(move || sink.clone(), "trace");
    let _guard = tracing::subscriber::set_default(subscriber);
    // Callsites seen before this subscriber existed may have cached "not interested".
    tracing::callsite::rebuild_interest_cache();

    let (accounts, in_flight) = empty_org_rules();
    let create = mock!(Client::create_account).then_output(|| {
        CreateAccountOutput::builder()
            .create_account_status(status(CreateAccountState::Succeeded))
            .build()
    });
    let (describe, parents, tags) = read_rules("Team A");
    let c = clients(&[&accounts, &in_flight, &create, &describe, &parents, &tags]);
    let events = run_to_end(&c, request("CREATE", desired(), None)).await;
    assert_eq!(events.last().unwrap().status(), Status::Success);
    // The lines kept for the type owner's log group (what a request with providerCredentials
    // delivers), for a first create invocation: checked below too.
    let (_, delivered) = handle_with_lines(&c, request("CREATE", desired(), None), None).await;
    // And a request that fails on its credentials' shape.
    let mut bad = request("READ", json!({"AccountId": ACCOUNT}), None);
    bad["requestData"]["callerCredentials"]["accessKeyId"] = json!("short-SECRET/ACCESS/KEY");
    handle(&c, bad).await;

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("\"action\":\"CREATE\""),
        "no request logs captured: {text}"
    );
    assert!(text.contains(ACCOUNT), "account id not logged");
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret} leaked into logs");
    }
    let delivered: String = delivered.iter().map(|(_, l)| format!("{l}\n")).collect();
    assert!(
        delivered.contains("\"action\":\"CREATE\""),
        "nothing kept for delivery"
    );
    for secret in SECRETS {
        assert!(
            !delivered.contains(secret),
            "{secret} leaked into delivered lines"
        );
    }
}
