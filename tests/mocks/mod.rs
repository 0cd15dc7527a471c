//! Shared pieces of the SDK-boundary tests: requests with recognisable fake secrets, mocked
//! clients handed to the handler's real client factory, and ready-made answers.
#![allow(dead_code)]

use aws_sdk_organizations::error::ErrorMetadata;
use aws_sdk_organizations::operation::create_gov_cloud_account::CreateGovCloudAccountOutput;
use aws_sdk_organizations::operation::describe_account::DescribeAccountOutput;
use aws_sdk_organizations::operation::list_accounts::ListAccountsOutput;
use aws_sdk_organizations::operation::list_create_account_status::ListCreateAccountStatusOutput;
use aws_sdk_organizations::operation::list_parents::ListParentsOutput;
use aws_sdk_organizations::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_organizations::types::{
    Account, AccountState, CreateAccountState, CreateAccountStatus, Parent, ParentType, Tag,
};
use aws_sdk_organizations::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use organizations_account_handler::dispatch::{handle, resource_identity};
use organizations_account_handler::org::Clients;
use organizations_account_handler::protocol::{ProgressEvent, Status};
use serde_json::{json, Value};

pub const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1";
pub const ACCOUNT: &str = "111122223333";
pub const REQUEST: &str = "car-0123456789abcdef";
pub const SECRETS: [&str; 4] = [
    "AKIASECRETKEYID00001",
    "SECRET/ACCESS/KEY",
    "SECRET-SESSION-TOKEN",
    "bearer-SECRET-123",
];

/// Error metadata as a deserialized service response carries it.
pub fn meta(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

pub fn clients(rules: &[&Rule]) -> Clients {
    let client: Client = mock_client!(aws_sdk_organizations, RuleMode::MatchAny, rules);
    Clients::from_config(client.config().clone())
}

pub fn request(action: &str, props: Value, ctx: Option<Value>) -> Value {
    json!({"action": action, "bearerToken": SECRETS[3], "region": "us-east-1", "stackId": STACK,
        "callbackContext": ctx,
        "requestData": {"callerCredentials": {"accessKeyId": SECRETS[0], "secretAccessKey": SECRETS[1], "sessionToken": SECRETS[2]},
            "logicalResourceId": "Acct", "resourceProperties": props}})
}

pub fn desired() -> Value {
    json!({"AccountName": "Team A", "Email": "team-a@example.com", "IamUserAccessToBilling": "DENY"})
}

pub fn status(state: CreateAccountState) -> CreateAccountStatus {
    let b = CreateAccountStatus::builder()
        .id(REQUEST)
        .account_name("Team A")
        .state(state.clone());
    match state {
        CreateAccountState::Succeeded => b.account_id(ACCOUNT).build(),
        _ => b.build(),
    }
}

pub fn live_account(name: &str) -> Account {
    Account::builder()
        .id(ACCOUNT)
        .name(name)
        .email("team-a@example.com")
        .arn(format!(
            "arn:aws:organizations::123456789012:account/o-abcdefghij/{ACCOUNT}"
        ))
        .state(AccountState::Active)
        .build()
}

pub fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

pub fn our_tags() -> Vec<Tag> {
    vec![
        tag(
            "cfn-organizations-account:resource",
            &resource_identity(STACK, "Acct"),
        ),
        tag(
            "cfn-organizations-account:role-name",
            "OrganizationAccountAccessRole",
        ),
        tag(
            "cfn-organizations-account:iam-user-access-to-billing",
            "DENY",
        ),
        tag("team", "a"),
    ]
}

pub fn empty_org_rules() -> (Rule, Rule) {
    (
        mock!(Client::list_accounts).then_output(|| ListAccountsOutput::builder().build()),
        mock!(Client::list_create_account_status)
            .then_output(|| ListCreateAccountStatusOutput::builder().build()),
    )
}

pub fn read_rules(name: &'static str) -> (Rule, Rule, Rule) {
    (
        mock!(Client::describe_account).then_output(move || {
            DescribeAccountOutput::builder()
                .account(live_account(name))
                .build()
        }),
        mock!(Client::list_parents).then_output(at_root),
        mock!(Client::list_tags_for_resource).then_output(|| {
            ListTagsForResourceOutput::builder()
                .set_tags(Some(our_tags()))
                .build()
        }),
    )
}

/// Plays CloudFormation: feeds context and model back until the operation ends.
pub async fn run_to_end(clients: &Clients, first: Value) -> Vec<ProgressEvent> {
    let mut events = Vec::new();
    let mut req = first;
    for _ in 0..20 {
        let event = handle(clients, req.clone()).await;
        events.push(event.clone());
        if event.status() != Status::InProgress {
            break;
        }
        req["callbackContext"] = event.callback_context().cloned().unwrap_or(Value::Null);
        req["requestData"]["resourceProperties"] =
            event.resource_model().cloned().unwrap_or(Value::Null);
    }
    events
}

/// ListParents: the account sits in the root `r-abcd`.
pub fn at_root() -> ListParentsOutput {
    ListParentsOutput::builder()
        .parents(
            Parent::builder()
                .id("r-abcd")
                .r#type(ParentType::Root)
                .build(),
        )
        .build()
}

/// CreateGovCloudAccount that finished at once, with the paired GovCloud id 444455556666.
pub fn gov_cloud_created() -> CreateGovCloudAccountOutput {
    CreateGovCloudAccountOutput::builder()
        .create_account_status(
            CreateAccountStatus::builder()
                .id(REQUEST)
                .state(CreateAccountState::Succeeded)
                .account_id(ACCOUNT)
                .gov_cloud_account_id("444455556666")
                .build(),
        )
        .build()
}
