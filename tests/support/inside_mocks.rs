//! The services inside a member account (EC2, IAM, S3 Control), mocked at the SDK boundary as
//! one small account would answer: two enabled Regions, each with a default VPC (a gateway, a
//! subnet, nothing running), EBS encryption and Block Public Access held as state, an old
//! alias. Each rule is named by the IAM action its operation needs, so the calls made can be
//! compared with the role permissions the README states.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_smithy_mocks::{mock, MockResponse, MockResponseInterceptor, Rule, RuleMode};
use aws_types::region::Region;

/// A finished configuration of one SDK whose calls `rules` answer (any order). The SDKs'
/// `with_test_defaults` needs their test-util feature, which would build aws-sdk-ec2 a second
/// time for the tests; this sets the same few things by hand.
macro_rules! mocked_config {
    ($sdk:ident, $rules:expr) => {{
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in $rules {
            interceptor = interceptor.with_rule(rule);
        }
        $sdk::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "test", None, None, "test"))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor(interceptor)
            .build()
    }};
}

/// The rules, by IAM action, and the three configurations answering by them.
pub struct InsideMocks {
    pub rules: Vec<(&'static str, Rule)>,
}

impl InsideMocks {
    pub fn configs(
        &self,
    ) -> (
        aws_sdk_ec2::Config,
        aws_sdk_iam::Config,
        aws_sdk_s3control::Config,
    ) {
        let pick = |prefix: &str| -> Vec<&Rule> {
            self.rules
                .iter()
                .filter(|(op, _)| op.starts_with(prefix))
                .map(|(_, r)| r)
                .collect()
        };
        (
            mocked_config!(aws_sdk_ec2, pick("ec2:")),
            mocked_config!(aws_sdk_iam, pick("iam:")),
            mocked_config!(aws_sdk_s3control, pick("s3:")),
        )
    }

    /// The IAM actions whose operations were called.
    pub fn called(&self) -> Vec<&'static str> {
        self.rules
            .iter()
            .filter(|(_, r)| r.num_calls() > 0)
            .map(|(op, _)| *op)
            .collect()
    }
}

/// One small account's inside, as state the calls change; EBS encryption and Block Public Access
/// start `on` or off.
pub fn inside_mocks(on_at_first: bool) -> InsideMocks {
    use aws_sdk_ec2::operation::delete_internet_gateway::DeleteInternetGatewayOutput;
    use aws_sdk_ec2::operation::delete_subnet::DeleteSubnetOutput;
    use aws_sdk_ec2::operation::delete_vpc::DeleteVpcOutput;
    use aws_sdk_ec2::operation::describe_internet_gateways::DescribeInternetGatewaysOutput;
    use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
    use aws_sdk_ec2::operation::describe_regions::DescribeRegionsOutput;
    use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput;
    use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
    use aws_sdk_ec2::operation::detach_internet_gateway::DetachInternetGatewayOutput;
    use aws_sdk_ec2::operation::disable_ebs_encryption_by_default::DisableEbsEncryptionByDefaultOutput;
    use aws_sdk_ec2::operation::enable_ebs_encryption_by_default::EnableEbsEncryptionByDefaultOutput;
    use aws_sdk_ec2::operation::get_ebs_encryption_by_default::GetEbsEncryptionByDefaultOutput;
    use aws_sdk_ec2::types::{InternetGateway, Region as Ec2Region, Subnet, Vpc};
    use aws_sdk_iam::operation::create_account_alias::CreateAccountAliasOutput;
    use aws_sdk_iam::operation::delete_account_alias::DeleteAccountAliasOutput;
    use aws_sdk_iam::operation::list_account_aliases::ListAccountAliasesOutput;
    use aws_sdk_s3control::operation::delete_public_access_block::DeletePublicAccessBlockOutput;
    use aws_sdk_s3control::operation::get_public_access_block::{
        GetPublicAccessBlockError, GetPublicAccessBlockOutput,
    };
    use aws_sdk_s3control::operation::put_public_access_block::PutPublicAccessBlockOutput;
    use aws_sdk_s3control::types::error::NoSuchPublicAccessBlockConfiguration;
    use aws_sdk_s3control::types::PublicAccessBlockConfiguration;

    let encrypted = Arc::new(Mutex::new(on_at_first));
    let (on, off, read) = (encrypted.clone(), encrypted.clone(), encrypted);
    let blocked = Arc::new(Mutex::new(on_at_first));
    let (block, unblock, seen) = (blocked.clone(), blocked.clone(), blocked);
    let rules = vec![
        (
            "ec2:DescribeRegions",
            mock!(aws_sdk_ec2::Client::describe_regions).then_output(|| {
                DescribeRegionsOutput::builder()
                    .regions(Ec2Region::builder().region_name("us-east-1").build())
                    .regions(Ec2Region::builder().region_name("af-south-1").build())
                    .build()
            }),
        ),
        (
            "ec2:DescribeVpcs",
            mock!(aws_sdk_ec2::Client::describe_vpcs).then_output(|| {
                DescribeVpcsOutput::builder()
                    .vpcs(Vpc::builder().vpc_id("vpc-1").is_default(true).build())
                    .build()
            }),
        ),
        (
            "ec2:DescribeNetworkInterfaces",
            mock!(aws_sdk_ec2::Client::describe_network_interfaces)
                .then_output(|| DescribeNetworkInterfacesOutput::builder().build()),
        ),
        (
            "ec2:DescribeInternetGateways",
            mock!(aws_sdk_ec2::Client::describe_internet_gateways).then_output(|| {
                DescribeInternetGatewaysOutput::builder()
                    .internet_gateways(
                        InternetGateway::builder()
                            .internet_gateway_id("igw-1")
                            .build(),
                    )
                    .build()
            }),
        ),
        (
            "ec2:DetachInternetGateway",
            mock!(aws_sdk_ec2::Client::detach_internet_gateway)
                .then_output(|| DetachInternetGatewayOutput::builder().build()),
        ),
        (
            "ec2:DeleteInternetGateway",
            mock!(aws_sdk_ec2::Client::delete_internet_gateway)
                .then_output(|| DeleteInternetGatewayOutput::builder().build()),
        ),
        (
            "ec2:DescribeSubnets",
            mock!(aws_sdk_ec2::Client::describe_subnets).then_output(|| {
                DescribeSubnetsOutput::builder()
                    .subnets(Subnet::builder().subnet_id("subnet-1").build())
                    .build()
            }),
        ),
        (
            "ec2:DeleteSubnet",
            mock!(aws_sdk_ec2::Client::delete_subnet)
                .then_output(|| DeleteSubnetOutput::builder().build()),
        ),
        (
            "ec2:DeleteVpc",
            mock!(aws_sdk_ec2::Client::delete_vpc)
                .then_output(|| DeleteVpcOutput::builder().build()),
        ),
        (
            "ec2:GetEbsEncryptionByDefault",
            mock!(aws_sdk_ec2::Client::get_ebs_encryption_by_default).then_compute_output(
                move |_| {
                    GetEbsEncryptionByDefaultOutput::builder()
                        .ebs_encryption_by_default(*read.lock().unwrap())
                        .build()
                },
            ),
        ),
        (
            "ec2:EnableEbsEncryptionByDefault",
            mock!(aws_sdk_ec2::Client::enable_ebs_encryption_by_default).then_compute_output(
                move |_| {
                    *on.lock().unwrap() = true;
                    EnableEbsEncryptionByDefaultOutput::builder()
                        .ebs_encryption_by_default(true)
                        .build()
                },
            ),
        ),
        (
            "ec2:DisableEbsEncryptionByDefault",
            mock!(aws_sdk_ec2::Client::disable_ebs_encryption_by_default).then_compute_output(
                move |_| {
                    *off.lock().unwrap() = false;
                    DisableEbsEncryptionByDefaultOutput::builder()
                        .ebs_encryption_by_default(false)
                        .build()
                },
            ),
        ),
        (
            "iam:ListAccountAliases",
            mock!(aws_sdk_iam::Client::list_account_aliases).then_output(|| {
                ListAccountAliasesOutput::builder()
                    .account_aliases("acme-old")
                    .is_truncated(false)
                    .build()
                    .expect("aliases given")
            }),
        ),
        (
            "iam:CreateAccountAlias",
            mock!(aws_sdk_iam::Client::create_account_alias)
                .then_output(|| CreateAccountAliasOutput::builder().build()),
        ),
        (
            "iam:DeleteAccountAlias",
            mock!(aws_sdk_iam::Client::delete_account_alias)
                .then_output(|| DeleteAccountAliasOutput::builder().build()),
        ),
        (
            "s3:GetAccountPublicAccessBlock",
            mock!(aws_sdk_s3control::Client::get_public_access_block).then_compute_response(
                move |_| match *seen.lock().unwrap() {
                    true => MockResponse::Output(
                        GetPublicAccessBlockOutput::builder()
                            .public_access_block_configuration(
                                PublicAccessBlockConfiguration::builder()
                                    .block_public_acls(true)
                                    .ignore_public_acls(true)
                                    .block_public_policy(true)
                                    .restrict_public_buckets(true)
                                    .build(),
                            )
                            .build(),
                    ),
                    false => MockResponse::Error(
                        GetPublicAccessBlockError::NoSuchPublicAccessBlockConfiguration(
                            NoSuchPublicAccessBlockConfiguration::builder()
                                .message("The public access block configuration was not found")
                                .build(),
                        ),
                    ),
                },
            ),
        ),
        (
            "s3:PutAccountPublicAccessBlock",
            mock!(aws_sdk_s3control::Client::put_public_access_block).then_compute_output(
                move |_| {
                    *block.lock().unwrap() = true;
                    PutPublicAccessBlockOutput::builder().build()
                },
            ),
        ),
        (
            // DeletePublicAccessBlock needs s3:PutAccountPublicAccessBlock too (S3 Control API
            // reference); named apart here so that the call shows.
            "s3:PutAccountPublicAccessBlock (delete)",
            mock!(aws_sdk_s3control::Client::delete_public_access_block).then_compute_output(
                move |_| {
                    *unblock.lock().unwrap() = false;
                    DeletePublicAccessBlockOutput::builder().build()
                },
            ),
        ),
    ];
    InsideMocks { rules }
}
