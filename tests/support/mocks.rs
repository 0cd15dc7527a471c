//! Shared pieces of the SDK-boundary tests: requests with recognisable fake secrets, mocked
//! clients handed to the handler's real client factory, and ready-made answers.
#![allow(dead_code)]

use aws_sdk_organizations::error::ErrorMetadata;
use aws_sdk_organizations::operation::create_account::{CreateAccountError, CreateAccountOutput};
use aws_sdk_organizations::operation::create_gov_cloud_account::CreateGovCloudAccountOutput;
use aws_sdk_organizations::operation::describe_account::DescribeAccountOutput;
use aws_sdk_organizations::operation::describe_create_account_status::DescribeCreateAccountStatusOutput;
use aws_sdk_organizations::operation::list_accounts::ListAccountsOutput;
use aws_sdk_organizations::operation::list_create_account_status::ListCreateAccountStatusOutput;
use aws_sdk_organizations::operation::list_parents::ListParentsOutput;
use aws_sdk_organizations::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_organizations::types::error::ServiceException;
use aws_sdk_organizations::types::CreateAccountFailureReason;
use aws_sdk_organizations::types::{
    Account, AccountState, CreateAccountState, CreateAccountStatus, Parent, ParentType, Tag,
};
use aws_sdk_organizations::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use organizations_account_handler::aws::clients::Clients;
use organizations_account_handler::doors::registry::dispatch::{
    handle, handle_until, resource_identity,
};
use organizations_account_handler::doors::registry::protocol::{ProgressEvent, Status};
use organizations_account_handler::vocab::{Bookkeeping, TAG_RECORD};
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

/// Organizations answering by `rules`, and an Account Management API that knows no contacts
/// (what READ finds on an account nobody gave any).
pub fn clients(rules: &[&Rule]) -> Clients {
    let none = no_contacts();
    clients_with(rules, &[&none], &[])
}

/// Organizations, Account Management and STS answering by their rules.
pub fn clients_with(org: &[&Rule], account: &[&Rule], sts: &[&Rule]) -> Clients {
    let org: Client = mock_client!(aws_sdk_organizations, RuleMode::MatchAny, org);
    let account: aws_sdk_account::Client =
        mock_client!(aws_sdk_account, RuleMode::MatchAny, account);
    let sts: aws_sdk_sts::Client = mock_client!(aws_sdk_sts, RuleMode::MatchAny, sts);
    Clients::from_config(org.config().clone())
        .with_account(account.config().clone())
        .with_sts(sts.config().clone())
}

/// GetAlternateContact: never set (ResourceNotFoundException), for every kind.
pub fn no_contacts() -> Rule {
    mock!(aws_sdk_account::Client::get_alternate_contact).then_error(contact_not_found)
}

/// GetAlternateContact's answer for a contact never set.
pub fn contact_not_found(
) -> aws_sdk_account::operation::get_alternate_contact::GetAlternateContactError {
    use aws_sdk_account::operation::get_alternate_contact::GetAlternateContactError;
    use aws_sdk_account::types::error::ResourceNotFoundException;
    GetAlternateContactError::ResourceNotFoundException(
        ResourceNotFoundException::builder()
            .message("No contact of that type was found.")
            .meta(
                aws_sdk_account::error::ErrorMetadata::builder()
                    .code("ResourceNotFoundException")
                    .build(),
            )
            .build()
            .expect("a message is all it needs"),
    )
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
    status_of(REQUEST, state)
}

pub fn status_of(request_id: &str, state: CreateAccountState) -> CreateAccountStatus {
    let b = CreateAccountStatus::builder()
        .id(request_id)
        .requested_timestamp(aws_smithy_types::DateTime::from(
            std::time::SystemTime::now(),
        ))
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

/// The handler's record as it writes it for the request `request()` builds.
pub fn our_record(gov_cloud_account_id: Option<&str>) -> Tag {
    let book = Bookkeeping {
        resource: Some(resource_identity(STACK, "Acct")),
        role_name: Some("OrganizationAccountAccessRole".into()),
        billing: Some("DENY".into()),
        gov_cloud_account_id: gov_cloud_account_id.map(str::to_owned),
        deletion: Some("REFUSE".into()),
        origin: None,
        followed: None,
    };
    tag(TAG_RECORD, &book.encode())
}

pub fn our_tags() -> Vec<Tag> {
    vec![our_record(None), tag("team", "a")]
}

/// Our record with the DeletionMode the last write recorded (None: a record written before
/// DeletionMode was kept), and a tag of the user's.
pub fn tags_recording_deletion(mode: Option<&str>) -> Vec<Tag> {
    let book = Bookkeeping {
        resource: Some(resource_identity(STACK, "Acct")),
        role_name: Some("OrganizationAccountAccessRole".into()),
        billing: Some("DENY".into()),
        gov_cloud_account_id: None,
        deletion: mode.map(str::to_owned),
        origin: None,
        followed: None,
    };
    vec![tag(TAG_RECORD, &book.encode()), tag("team", "a")]
}

/// ListTagsForResource answering `tags_recording_deletion(mode)`.
pub fn recorded_deletion(mode: &'static str) -> Rule {
    mock!(Client::list_tags_for_resource).then_output(move || {
        ListTagsForResourceOutput::builder()
            .set_tags(Some(tags_recording_deletion(Some(mode))))
            .build()
    })
}

/// One invocation with a Lambda deadline `seconds` away: too short to wait inside it, so the
/// answer shows what goes to CloudFormation's callback loop.
pub async fn handle_briefly(clients: &Clients, req: Value, seconds: u64) -> ProgressEvent {
    let deadline = std::time::SystemTime::now() + std::time::Duration::from_secs(seconds);
    handle_until(clients, req, Some(deadline)).await
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

/// DescribeCreateAccountStatus: the request is in `state`.
pub fn poll_output(state: CreateAccountState) -> DescribeCreateAccountStatusOutput {
    DescribeCreateAccountStatusOutput::builder()
        .create_account_status(status(state))
        .build()
}

/// DescribeCreateAccountStatus: the request ended FAILED with `reason`.
pub fn failed_output(reason: CreateAccountFailureReason) -> DescribeCreateAccountStatusOutput {
    DescribeCreateAccountStatusOutput::builder()
        .create_account_status(
            CreateAccountStatus::builder()
                .id(REQUEST)
                .state(CreateAccountState::Failed)
                .failure_reason(reason)
                .build(),
        )
        .build()
}

/// CreateAccount's answer: the request is in `state`.
pub fn create_output(state: CreateAccountState) -> CreateAccountOutput {
    CreateAccountOutput::builder()
        .create_account_status(status(state))
        .build()
}

/// CreateAccount refused with a ServiceException (a 5xx).
pub fn service_exception() -> CreateAccountError {
    CreateAccountError::ServiceException(
        ServiceException::builder()
            .message("internal error")
            .meta(meta("ServiceException", "internal error"))
            .build(),
    )
}
