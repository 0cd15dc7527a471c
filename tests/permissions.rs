//! The schema's `handlers.*.permissions` list exactly the Organizations operations each action
//! calls: every path of every action runs against a mocked client that answers all operations,
//! and the operations actually called, per action, must equal the schema's list.

mod support;

use std::collections::BTreeSet;

use aws_sdk_organizations::operation::close_account::CloseAccountOutput;
use aws_sdk_organizations::operation::create_account::{CreateAccountError, CreateAccountOutput};
use aws_sdk_organizations::operation::describe_account::DescribeAccountOutput;
use aws_sdk_organizations::operation::describe_create_account_status::DescribeCreateAccountStatusOutput;
use aws_sdk_organizations::operation::list_accounts::ListAccountsOutput;
use aws_sdk_organizations::operation::list_create_account_status::ListCreateAccountStatusOutput;
use aws_sdk_organizations::operation::list_roots::ListRootsOutput;
use aws_sdk_organizations::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_organizations::operation::move_account::MoveAccountOutput;
use aws_sdk_organizations::operation::remove_account_from_organization::RemoveAccountFromOrganizationOutput;
use aws_sdk_organizations::operation::tag_resource::TagResourceOutput;
use aws_sdk_organizations::operation::untag_resource::UntagResourceOutput;
use aws_sdk_organizations::types::error::ServiceException;
use aws_sdk_organizations::types::{
    CreateAccountFailureReason, CreateAccountState, CreateAccountStatus, Root,
};
use aws_sdk_organizations::Client;
use aws_smithy_mocks::{mock, MockResponse, Rule};
use organizations_account_handler::vocab::schema::Schema;
use serde_json::{json, Value};
use support::mocks::*;

/// The paths of CREATE that call different operations.
#[derive(Clone, Copy, PartialEq)]
enum Path {
    /// CreateAccount, then its request succeeds.
    Normal,
    /// The request fails EMAIL_ALREADY_EXISTS; the owner (ListAccounts) is this declaration's.
    EmailTaken,
    /// CreateAccount's answer is lost; the request is found with ListCreateAccountStatus.
    LostAnswer,
}

/// One rule per operation, answering like an organization holding the account `ACCOUNT`.
fn all_operations(path: Path) -> Vec<(&'static str, Rule)> {
    vec![
        (
            "ListAccounts",
            mock!(Client::list_accounts).then_output(move || {
                ListAccountsOutput::builder()
                    .accounts(live_account("Team A"))
                    .build()
            }),
        ),
        (
            "ListCreateAccountStatus",
            mock!(Client::list_create_account_status).then_output(|| {
                ListCreateAccountStatusOutput::builder()
                    .create_account_statuses(status(CreateAccountState::InProgress))
                    .build()
            }),
        ),
        (
            "CreateAccount",
            mock!(Client::create_account).then_compute_response(move |_| {
                if path == Path::LostAnswer {
                    MockResponse::Error(CreateAccountError::ServiceException(
                        ServiceException::builder()
                            .message("lost")
                            .meta(meta("ServiceException", "lost"))
                            .build(),
                    ))
                } else {
                    MockResponse::Output(
                        CreateAccountOutput::builder()
                            .create_account_status(status(CreateAccountState::InProgress))
                            .build(),
                    )
                }
            }),
        ),
        (
            "CreateGovCloudAccount",
            mock!(Client::create_gov_cloud_account).then_output(gov_cloud_created),
        ),
        (
            "DescribeCreateAccountStatus",
            mock!(Client::describe_create_account_status).then_output(move || {
                let status = match path {
                    Path::EmailTaken => CreateAccountStatus::builder()
                        .id(REQUEST)
                        .state(CreateAccountState::Failed)
                        .failure_reason(CreateAccountFailureReason::EmailAlreadyExists)
                        .build(),
                    Path::Normal | Path::LostAnswer => status(CreateAccountState::Succeeded),
                };
                DescribeCreateAccountStatusOutput::builder()
                    .create_account_status(status)
                    .build()
            }),
        ),
        (
            "DescribeAccount",
            mock!(Client::describe_account).then_output(|| {
                DescribeAccountOutput::builder()
                    .account(live_account("Team A"))
                    .build()
            }),
        ),
        (
            "ListParents",
            mock!(Client::list_parents).then_output(at_root),
        ),
        (
            "ListRoots",
            mock!(Client::list_roots).then_output(|| {
                ListRootsOutput::builder()
                    .roots(Root::builder().id("r-abcd").build())
                    .build()
            }),
        ),
        (
            "ListTagsForResource",
            mock!(Client::list_tags_for_resource).then_output(|| {
                ListTagsForResourceOutput::builder()
                    .set_tags(Some(our_tags()))
                    .build()
            }),
        ),
        (
            "MoveAccount",
            mock!(Client::move_account).then_output(|| MoveAccountOutput::builder().build()),
        ),
        (
            "TagResource",
            mock!(Client::tag_resource).then_output(|| TagResourceOutput::builder().build()),
        ),
        (
            "UntagResource",
            mock!(Client::untag_resource).then_output(|| UntagResourceOutput::builder().build()),
        ),
        (
            "CloseAccount",
            mock!(Client::close_account).then_output(|| CloseAccountOutput::builder().build()),
        ),
        (
            "RemoveAccountFromOrganization",
            mock!(Client::remove_account_from_organization)
                .then_output(|| RemoveAccountFromOrganizationOutput::builder().build()),
        ),
    ]
}

/// Runs one path of an action to its end and returns the operations it called.
async fn called(action: &str, props: Value, path: Path) -> BTreeSet<String> {
    called_after(action, props, Value::Null, path).await
}

/// The same, with the previous template's properties (UPDATE).
async fn called_after(action: &str, props: Value, previous: Value, path: Path) -> BTreeSet<String> {
    let rules = all_operations(path);
    let refs: Vec<&Rule> = rules.iter().map(|(_, r)| r).collect();
    let c = clients(&refs);
    let mut first = request(action, props, None);
    first["requestData"]["previousResourceProperties"] = previous;
    let events = run_to_end(&c, first).await;
    // The one expected failure: DELETE refused by the default DeletionMode.
    assert!(
        events.iter().all(|e| e.error_code().is_none()
            || (action == "DELETE"
                && e.message()
                    .unwrap_or("")
                    .starts_with("DeletionMode is REFUSE"))),
        "{action}: {events:?}"
    );
    rules
        .iter()
        .filter(|(_, r)| r.num_calls() > 0)
        .map(|(op, _)| op.to_string())
        .collect()
}

fn permissions(handler: &str) -> BTreeSet<String> {
    Schema::get().raw()["handlers"][handler]["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p.as_str()
                .unwrap()
                .trim_start_matches("organizations:")
                .to_owned()
        })
        .collect()
}

// start_paused: waits inside an invocation run on tokio's clock, advanced instantly.
#[tokio::test(start_paused = true)]
async fn schema_handler_permissions_are_exactly_the_operations_each_action_calls() {
    let with_parent = json!({"AccountName": "Team A", "Email": "team-a@example.com", "ParentIds": ["ou-abcd-12345678"],
        "IamUserAccessToBilling": "DENY"});
    let mut gov = with_parent.clone();
    gov["CreateGovCloudAccount"] = json!(true);
    let mut create = called("CREATE", with_parent.clone(), Path::Normal).await;
    create.extend(called("CREATE", gov, Path::Normal).await);
    create.extend(called("CREATE", with_parent.clone(), Path::EmailTaken).await);
    create.extend(called("CREATE", with_parent.clone(), Path::LostAnswer).await);
    assert_eq!(create, permissions("create"));

    let mut moved = with_parent.clone();
    moved["AccountId"] = json!(ACCOUNT);
    moved["Tags"] = json!([{"Key": "new", "Value": "1"}]);
    let at_root = json!({"AccountId": ACCOUNT, "AccountName": "Team A", "Email": "team-a@example.com", "IamUserAccessToBilling": "DENY"});
    // The previous template named a parent and the tag "team"; the new one names neither: back
    // to the root (ListRoots), and "team" removed (UntagResource).
    let mut previous = moved.clone();
    previous["Tags"] = json!([{"Key": "team", "Value": "a"}]);
    let mut update = called("UPDATE", moved, Path::Normal).await;
    update.extend(called_after("UPDATE", at_root, previous, Path::Normal).await);
    assert_eq!(update, permissions("update"));

    assert_eq!(
        called("READ", json!({"AccountId": ACCOUNT}), Path::Normal).await,
        permissions("read")
    );
    assert_eq!(
        called("LIST", json!({}), Path::Normal).await,
        permissions("list")
    );
    // DELETE by each DeletionMode: REFUSE (read from the record when the model lacks it),
    // CLOSE (its wait never ends against an account that stays ACTIVE; the first two steps
    // suffice), REMOVE.
    let mut delete = called("DELETE", json!({"AccountId": ACCOUNT}), Path::Normal).await;
    for mode in ["CLOSE", "REMOVE"] {
        delete.extend(
            called(
                "DELETE",
                json!({"AccountId": ACCOUNT, "DeletionMode": mode}),
                Path::Normal,
            )
            .await,
        );
    }
    assert_eq!(delete, permissions("delete"));
}
