//! The schema's `handlers.*.permissions` list exactly the operations each action calls
//! (Organizations, Account Management, STS): every path of every action runs against mocked
//! clients that answer all operations, and the operations actually called, per action, must
//! equal the schema's list. (STS GetCallerIdentity needs no permission, so none is listed.)

mod support;

use std::collections::BTreeSet;

use aws_sdk_organizations::operation::close_account::CloseAccountOutput;
use aws_sdk_organizations::operation::create_account::{CreateAccountError, CreateAccountOutput};
use aws_sdk_organizations::operation::describe_account::DescribeAccountOutput;
use aws_sdk_organizations::operation::describe_create_account_status::DescribeCreateAccountStatusOutput;
use aws_sdk_organizations::operation::list_accounts::ListAccountsOutput;
use aws_sdk_organizations::operation::list_aws_service_access_for_organization::ListAwsServiceAccessForOrganizationOutput;
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
use organizations_account_handler::doors::registry::protocol::HandlerErrorCode;
use organizations_account_handler::vocab::schema::Schema;
use serde_json::{json, Value};
use support::inside_mocks::inside_mocks;
use support::mocks::*;

/// What the account's role (not the caller) needs inside the account: the IAM actions of the
/// calls made there, as the README states them.
const ROLE_PERMISSIONS: [&str; 17] = [
    "ec2:DeleteInternetGateway",
    "ec2:DeleteSubnet",
    "ec2:DeleteVpc",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRegions",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "ec2:DetachInternetGateway",
    "ec2:DisableEbsEncryptionByDefault",
    "ec2:EnableEbsEncryptionByDefault",
    "ec2:GetEbsEncryptionByDefault",
    "iam:CreateAccountAlias",
    "iam:DeleteAccountAlias",
    "iam:ListAccountAliases",
    "s3:GetAccountPublicAccessBlock",
    "s3:PutAccountPublicAccessBlock",
];

/// The IAM actions of the calls made inside accounts, by every path run so far.
static ROLE_CALLED: std::sync::Mutex<BTreeSet<String>> = std::sync::Mutex::new(BTreeSet::new());

/// The paths of CREATE that call different operations.
#[derive(Clone, Copy, PartialEq)]
enum Path {
    /// CreateAccount, then its request succeeds.
    Normal,
    /// The request fails EMAIL_ALREADY_EXISTS; the owner (ListAccounts) is this declaration's.
    EmailTaken,
    /// CreateAccount's answer is lost; the request is found with ListCreateAccountStatus.
    LostAnswer,
    /// (UPDATE) The account sits in the OU the previous template put it in.
    InItsOu,
}

/// One rule per operation, answering like an organization holding the account `ACCOUNT`.
fn all_operations(path: Path) -> Vec<(&'static str, Rule)> {
    vec![
        (
            "ListAWSServiceAccessForOrganization",
            // Trusted access for account.amazonaws.com is on: the baseline's calls are made.
            mock!(Client::list_aws_service_access_for_organization).then_output(|| {
                ListAwsServiceAccessForOrganizationOutput::builder()
                    .enabled_service_principals(
                        aws_sdk_organizations::types::EnabledServicePrincipal::builder()
                            .service_principal("account.amazonaws.com")
                            .build(),
                    )
                    .build()
            }),
        ),
        (
            "DescribeOrganizationalUnit",
            mock!(Client::describe_organizational_unit).then_output(|| {
                aws_sdk_organizations::operation::describe_organizational_unit::DescribeOrganizationalUnitOutput::builder()
                    .organizational_unit(
                        aws_sdk_organizations::types::OrganizationalUnit::builder()
                            .id("ou-abcd-12345678")
                            .name("Workloads")
                            .build(),
                    )
                    .build()
            }),
        ),
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
                    Path::Normal | Path::LostAnswer | Path::InItsOu => {
                        status(CreateAccountState::Succeeded)
                    }
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
            "ListOrganizationalUnitsForParent",
            mock!(Client::list_organizational_units_for_parent).then_output(|| {
                aws_sdk_organizations::operation::list_organizational_units_for_parent::ListOrganizationalUnitsForParentOutput::builder()
                    .organizational_units(
                        aws_sdk_organizations::types::OrganizationalUnit::builder()
                            .id("ou-abcd-12345678")
                            .name("Workloads")
                            .build(),
                    )
                    .build()
            }),
        ),
        (
            // The OU's own parent (ParentPath): the root.
            "ListParents",
            mock!(Client::list_parents)
                .match_requests(|r| r.child_id() == Some("ou-abcd-12345678"))
                .then_output(at_root),
        ),
        (
            "ListParents",
            mock!(Client::list_parents).then_output(move || match path {
                Path::InItsOu => aws_sdk_organizations::operation::list_parents::ListParentsOutput::builder()
                    .parents(
                        aws_sdk_organizations::types::Parent::builder()
                            .id("ou-abcd-12345678")
                            .r#type(aws_sdk_organizations::types::ParentType::OrganizationalUnit)
                            .build(),
                    )
                    .build(),
                Path::Normal | Path::EmailTaken | Path::LostAnswer => at_root(),
            }),
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
            // A record that names no DeletionMode, so that each delete follows its template.
            mock!(Client::list_tags_for_resource).then_output(|| {
                ListTagsForResourceOutput::builder()
                    .set_tags(Some(tags_recording_deletion(None)))
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

/// The Account Management API of an account whose Regions move as asked at once (each
/// EnableRegion or DisableRegion lands before the next GetRegionOptStatus), and STS answering
/// as the new account. `denied`: every Account Management call is refused (trusted access off).
/// Rules by the permission their operation needs.
type Named = Vec<(&'static str, Rule)>;

fn baseline_operations(denied: bool) -> (Named, Named) {
    use aws_sdk_account::operation::delete_alternate_contact::DeleteAlternateContactOutput;
    use aws_sdk_account::operation::disable_region::DisableRegionOutput;
    use aws_sdk_account::operation::enable_region::EnableRegionOutput;
    use aws_sdk_account::operation::get_region_opt_status::GetRegionOptStatusOutput;
    use aws_sdk_account::operation::put_alternate_contact::{
        PutAlternateContactError, PutAlternateContactOutput,
    };
    use aws_sdk_account::types::error::AccessDeniedException;
    use aws_sdk_account::types::RegionOptStatus;
    use aws_sdk_sts::operation::assume_role::AssumeRoleOutput;
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    let regions: Arc<Mutex<HashMap<String, RegionOptStatus>>> = Arc::default();
    let (on, off, read) = (regions.clone(), regions.clone(), regions);
    let account = vec![
        // The billing contact the previous template of the baseline update declared (so that
        // dropping it from the template deletes it); no other.
        (
            "account:GetAlternateContact",
            mock!(aws_sdk_account::Client::get_alternate_contact).then_compute_response(|input| {
                use aws_sdk_account::operation::get_alternate_contact::GetAlternateContactOutput;
                use aws_sdk_account::types::{AlternateContact, AlternateContactType};
                match input.alternate_contact_type() {
                    Some(AlternateContactType::Billing) => MockResponse::Output(
                        GetAlternateContactOutput::builder()
                            .alternate_contact(
                                AlternateContact::builder()
                                    .alternate_contact_type(AlternateContactType::Billing)
                                    .name("Bill")
                                    .title("CFO")
                                    .email_address("bill@example.com")
                                    .phone_number("+1 555 0101")
                                    .build(),
                            )
                            .build(),
                    ),
                    _ => MockResponse::Error(contact_not_found()),
                }
            }),
        ),
        (
            "account:PutAlternateContact",
            mock!(aws_sdk_account::Client::put_alternate_contact).then_compute_response(
                move |_| {
                    if denied {
                        MockResponse::Error(PutAlternateContactError::AccessDeniedException(
                            AccessDeniedException::builder()
                                .message("User: arn:aws:iam::123456789012:root is not authorized to perform: account:PutAlternateContact")
                                .meta(aws_sdk_account::error::ErrorMetadata::builder().code("AccessDeniedException").build())
                                .build()
                                .expect("a message is all it needs"),
                        ))
                    } else {
                        MockResponse::Output(PutAlternateContactOutput::builder().build())
                    }
                },
            ),
        ),
        (
            "account:ListRegions",
            // The caller's own (no AccountId): the partition's Regions; a member's: those in
            // flight (none).
            mock!(aws_sdk_account::Client::list_regions).then_compute_output(|input| {
                use aws_sdk_account::types::Region;
                let region = |name: &str, status: RegionOptStatus| {
                    Region::builder()
                        .region_name(name)
                        .region_opt_status(status)
                        .build()
                };
                let out = aws_sdk_account::operation::list_regions::ListRegionsOutput::builder();
                match input.account_id() {
                    Some(_) => out.build(),
                    None => out
                        .regions(region("us-east-1", RegionOptStatus::EnabledByDefault))
                        .regions(region("af-south-1", RegionOptStatus::Disabled))
                        .regions(region("me-south-1", RegionOptStatus::Enabled))
                        .build(),
                }
            }),
        ),
        (
            "account:DeleteAlternateContact",
            mock!(aws_sdk_account::Client::delete_alternate_contact)
                .then_output(|| DeleteAlternateContactOutput::builder().build()),
        ),
        (
            "account:GetRegionOptStatus",
            mock!(aws_sdk_account::Client::get_region_opt_status).then_compute_output(
                move |input| {
                    let region = input.region_name().unwrap_or_default().to_owned();
                    let status = read.lock().unwrap().get(&region).cloned().unwrap_or(
                        match region.as_str() {
                            "me-south-1" => RegionOptStatus::Enabled,
                            _ => RegionOptStatus::Disabled,
                        },
                    );
                    GetRegionOptStatusOutput::builder()
                        .region_name(region)
                        .region_opt_status(status)
                        .build()
                },
            ),
        ),
        (
            "account:EnableRegion",
            mock!(aws_sdk_account::Client::enable_region).then_compute_output(move |input| {
                on.lock().unwrap().insert(
                    input.region_name().unwrap_or_default().to_owned(),
                    RegionOptStatus::Enabled,
                );
                EnableRegionOutput::builder().build()
            }),
        ),
        (
            "account:DisableRegion",
            mock!(aws_sdk_account::Client::disable_region).then_compute_output(move |input| {
                off.lock().unwrap().insert(
                    input.region_name().unwrap_or_default().to_owned(),
                    RegionOptStatus::Disabled,
                );
                DisableRegionOutput::builder().build()
            }),
        ),
    ];
    let sts = vec![
        (
            "sts:AssumeRole",
            mock!(aws_sdk_sts::Client::assume_role).then_output(|| {
                AssumeRoleOutput::builder()
                    .credentials(
                        aws_sdk_sts::types::Credentials::builder()
                            .access_key_id("ASIAASSUMED000000001")
                            .secret_access_key("assumed-secret")
                            .session_token("assumed-token")
                            .expiration(aws_smithy_types::DateTime::from_secs(4_000_000_000))
                            .build()
                            .unwrap(),
                    )
                    .build()
            }),
        ),
        (
            // Needs no permission: left out of the comparison below.
            "sts:GetCallerIdentity",
            mock!(aws_sdk_sts::Client::get_caller_identity)
                .then_output(|| GetCallerIdentityOutput::builder().account(ACCOUNT).build()),
        ),
    ];
    (account, sts)
}

/// Runs one path of an action to its end and returns the operations it called.
async fn called(action: &str, props: Value, path: Path) -> BTreeSet<String> {
    called_after(action, props, Value::Null, path, None).await
}

/// The same, with the previous template's properties (UPDATE), and the failure expected (its
/// code and the start of its message), if any.
async fn called_after(
    action: &str,
    props: Value,
    previous: Value,
    path: Path,
    failure: Option<(HandlerErrorCode, &str)>,
) -> BTreeSet<String> {
    let rules = all_operations(path);
    let (account, sts) = baseline_operations(failure.is_some());
    let org_refs: Vec<&Rule> = rules.iter().map(|(_, r)| r).collect();
    let account_refs: Vec<&Rule> = account.iter().map(|(_, r)| r).collect();
    let sts_refs: Vec<&Rule> = sts.iter().map(|(_, r)| r).collect();
    // Inside the account: encryption and blocks start on for an update (so that turning them
    // off calls something), off otherwise.
    let inside = inside_mocks(action == "UPDATE");
    let (ec2, iam, s3control) = inside.configs();
    let c = clients_with(&org_refs, &account_refs, &sts_refs).with_inside(ec2, iam, s3control);
    let mut first = request(action, props, None);
    first["requestData"]["previousResourceProperties"] = previous;
    let events = run_to_end(&c, first).await;
    // Expected failures: DELETE refused by the default DeletionMode, and the one asked for.
    assert!(
        events.iter().all(|e| match (e.error_code(), failure) {
            (None, _) => true,
            (Some(code), Some((want, start))) =>
                code == want && e.message().unwrap_or("").starts_with(start),
            (Some(_), None) =>
                action == "DELETE"
                    && e.message()
                        .unwrap_or("")
                        .starts_with("DeletionMode is REFUSE"),
        }),
        "{action}: {events:?}"
    );
    if let Some((want, _)) = failure {
        assert_eq!(events.last().and_then(|e| e.error_code()), Some(want));
    }
    ROLE_CALLED.lock().unwrap().extend(
        inside
            .called()
            .into_iter()
            .map(|op| op.trim_end_matches(" (delete)").to_owned()),
    );
    rules
        .iter()
        .map(|(op, r)| (format!("organizations:{op}"), r))
        .chain(
            account
                .iter()
                .chain(&sts)
                .map(|(op, r)| (op.to_string(), r)),
        )
        .filter(|(op, r)| r.num_calls() > 0 && op != "sts:GetCallerIdentity")
        .map(|(op, _)| op)
        .collect()
}

fn permissions(handler: &str) -> BTreeSet<String> {
    Schema::get().raw()["handlers"][handler]["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
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
    // The whole baseline: contacts, a Region to enable and one to disable, the readiness wait.
    let mut baseline = with_parent.clone();
    baseline["AlternateContacts"] = json!({"Security": {"Name": "Sec", "Title": "CISO",
        "EmailAddress": "sec@example.com", "PhoneNumber": "+1 555 0100"}});
    baseline["EnabledRegions"] = json!(["af-south-1"]);
    baseline["DisabledRegions"] = json!(["me-south-1"]);
    baseline["WaitUntilReady"] = json!(true);
    create.extend(called("CREATE", baseline.clone(), Path::Normal).await);
    // The caller lacks the account: permission: the refusal is explained from the
    // organization's trusted services (on, so it is the permission).
    create.extend(
        called_after(
            "CREATE",
            baseline.clone(),
            Value::Null,
            Path::Normal,
            Some((
                HandlerErrorCode::AccessDenied,
                "Account Management PutAlternateContact",
            )),
        )
        .await,
    );
    // A parent named by the root's id: checked against ListRoots before creating.
    let mut at_the_root = with_parent.clone();
    at_the_root["ParentIds"] = json!(["r-abcd"]);
    create.extend(called("CREATE", at_the_root, Path::Normal).await);
    // A parent named by path: walked from the root (ListOrganizationalUnitsForParent).
    let mut by_path = with_parent.clone();
    by_path.as_object_mut().unwrap().remove("ParentIds");
    by_path["ParentPath"] = json!("/Workloads");
    create.extend(called("CREATE", by_path.clone(), Path::Normal).await);
    // Inside the account, as its role: only AssumeRole is the caller's.
    let mut inside = with_parent.clone();
    inside["DeleteDefaultVpcs"] = json!(true);
    inside["AccountAlias"] = json!("acme-new");
    inside["EbsEncryptionByDefault"] = json!(true);
    inside["S3BlockPublicAccess"] = json!(true);
    create.extend(called("CREATE", inside.clone(), Path::Normal).await);
    assert_eq!(create, permissions("create"));

    let mut moved = with_parent.clone();
    moved["AccountId"] = json!(ACCOUNT);
    moved["Tags"] = json!([{"Key": "new", "Value": "1"}]);
    let at_root = json!({"AccountId": ACCOUNT, "AccountName": "Team A", "Email": "team-a@example.com", "IamUserAccessToBilling": "DENY"});
    // The previous template named a parent and the tag "team"; the new one names neither: back
    // to the root (ListRoots), and "team" removed (UntagResource).
    let mut previous = moved.clone();
    previous["Tags"] = json!([{"Key": "team", "Value": "a"}]);
    let mut update = called("UPDATE", moved.clone(), Path::Normal).await;
    // (Back to the root only from where the previous template put it.)
    update.extend(called_after("UPDATE", at_root, previous.clone(), Path::InItsOu, None).await);
    // The baseline: the previous template declared a billing contact, this one a security
    // contact (put) and not the billing one (deleted), and Regions to enable and disable.
    let mut with_baseline = moved.clone();
    with_baseline["AlternateContacts"] = json!({"Security": {"Name": "Sec", "Title": "CISO",
        "EmailAddress": "sec@example.com", "PhoneNumber": "+1 555 0100"}});
    with_baseline["EnabledRegions"] = json!(["af-south-1"]);
    with_baseline["DisabledRegions"] = json!(["me-south-1"]);
    let mut before = moved.clone();
    before["AlternateContacts"] = json!({"Billing": {"Name": "Bill", "Title": "CFO",
        "EmailAddress": "bill@example.com", "PhoneNumber": "+1 555 0101"}});
    update.extend(
        called_after(
            "UPDATE",
            with_baseline.clone(),
            before.clone(),
            Path::Normal,
            None,
        )
        .await,
    );
    update.extend(
        called_after(
            "UPDATE",
            with_baseline,
            before,
            Path::Normal,
            Some((HandlerErrorCode::AccessDenied, "Account Management")),
        )
        .await,
    );
    let mut moved_by_path = by_path.clone();
    moved_by_path["AccountId"] = json!(ACCOUNT);
    update.extend(
        called_after(
            "UPDATE",
            moved_by_path,
            previous.clone(),
            Path::Normal,
            None,
        )
        .await,
    );
    // Inside: encryption and blocks turned off, and the alias the previous template declared
    // removed.
    let mut inside_off = moved.clone();
    inside_off["EbsEncryptionByDefault"] = json!(false);
    inside_off["S3BlockPublicAccess"] = json!(false);
    inside_off["DeleteDefaultVpcs"] = json!(true);
    let mut inside_before = moved.clone();
    inside_before["AccountAlias"] = json!("acme-old");
    update.extend(called_after("UPDATE", inside_off, inside_before, Path::Normal, None).await);
    assert_eq!(update, permissions("update"));

    let mut read = called("READ", json!({"AccountId": ACCOUNT}), Path::Normal).await;
    read.extend(
        called(
            "READ",
            json!({"AccountId": ACCOUNT, "EnabledRegions": ["af-south-1"]}),
            Path::Normal,
        )
        .await,
    );
    // A model that declares ParentPath: the OU's name and its parent, up to the root.
    read.extend(
        called(
            "READ",
            json!({"AccountId": ACCOUNT, "ParentPath": "/Workloads"}),
            Path::InItsOu,
        )
        .await,
    );
    // A model naming the in-account properties: read as the account.
    read.extend(
        called(
            "READ",
            json!({"AccountId": ACCOUNT, "DeleteDefaultVpcs": true, "AccountAlias": "acme-old",
                "EbsEncryptionByDefault": true, "S3BlockPublicAccess": true}),
            Path::Normal,
        )
        .await,
    );
    assert_eq!(read, permissions("read"));
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

    // The account's role: exactly what the README says it needs.
    let role: BTreeSet<String> = ROLE_PERMISSIONS.iter().map(|p| p.to_string()).collect();
    assert_eq!(*ROLE_CALLED.lock().unwrap(), role);
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    for permission in ROLE_PERMISSIONS {
        assert!(
            readme.contains(&format!("`{permission}`")),
            "README does not state {permission}"
        );
    }
}

#[test]
fn the_execution_role_grants_exactly_every_handler_permission() {
    // resource-role.yaml is the role `cfn submit` creates for the type: the union of the
    // handlers' permissions, nothing more.
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let role = std::fs::read_to_string(root.join("resource-role.yaml")).unwrap();
    let granted: BTreeSet<String> = role
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- \"")?.strip_suffix('"'))
        .map(str::to_owned)
        .collect();
    let needed: BTreeSet<String> = ["create", "read", "update", "delete", "list"]
        .into_iter()
        .flat_map(permissions)
        .collect();
    assert_eq!(granted, needed);
}
