//! A session inside one member account: the credentials of its RoleName, assumed by STS
//! (`Sts::assume`, which takes the account's proof, `&Owned`), and the clients of the services
//! the template's in-account properties call with them (EC2 per Region, IAM, S3 Control). Only
//! `Sts::assume` makes one, so every call inside an account went through the account's check.

use std::sync::Arc;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3control::config::endpoint::{Endpoint, EndpointFuture, Params, ResolveEndpoint};
use aws_types::region::Region;

use crate::aws::ec2::Ec2;
use crate::aws::iam::Iam;
use crate::aws::s3control::S3Control;
use crate::vocab::baseline::RegionName;
use crate::vocab::model::AccountId;

/// The configurations the in-account clients are built from (endpoints, HTTP client, timeouts),
/// built once per process. Cloning shares them.
#[derive(Clone)]
pub struct InsideConfigs {
    pub(crate) ec2: Arc<aws_sdk_ec2::Config>,
    pub(crate) iam: Arc<aws_sdk_iam::Config>,
    pub(crate) s3control: Arc<aws_sdk_s3control::Config>,
}

impl InsideConfigs {
    /// From the process's shared configuration.
    pub fn from_shared(shared: &aws_types::SdkConfig) -> InsideConfigs {
        InsideConfigs {
            ec2: Arc::new(aws_sdk_ec2::Config::from(shared)),
            iam: Arc::new(aws_sdk_iam::Config::from(shared)),
            s3control: Arc::new(
                aws_sdk_s3control::config::Builder::from(shared)
                    .endpoint_resolver(AddressEndpoint(
                        aws_sdk_s3control::config::endpoint::DefaultResolver::new(),
                    ))
                    .build(),
            ),
        }
    }

    /// These configurations, as they are (tests hand in mocked ones).
    pub fn from_configs(
        ec2: aws_sdk_ec2::Config,
        iam: aws_sdk_iam::Config,
        s3control: aws_sdk_s3control::Config,
    ) -> InsideConfigs {
        InsideConfigs {
            ec2: Arc::new(ec2),
            iam: Arc::new(iam),
            s3control: Arc::new(s3control),
        }
    }

    /// Configurations that reach nothing (a closed loopback port): tests that do not go inside.
    pub fn nowhere() -> InsideConfigs {
        let nowhere = "http://127.0.0.1:9";
        let latest = aws_config::BehaviorVersion::latest();
        InsideConfigs {
            ec2: Arc::new(
                aws_sdk_ec2::Config::builder()
                    .behavior_version(latest)
                    .endpoint_url(nowhere)
                    .build(),
            ),
            iam: Arc::new(
                aws_sdk_iam::Config::builder()
                    .behavior_version(latest)
                    .endpoint_url(nowhere)
                    .build(),
            ),
            s3control: Arc::new(
                aws_sdk_s3control::Config::builder()
                    .behavior_version(latest)
                    .endpoint_url(nowhere)
                    .build(),
            ),
        }
    }
}

/// The account's role, assumed: its clients.
#[derive(Clone)]
pub struct AccountSession {
    account: AccountId,
    /// A Region every account of the partition has (global services are signed there).
    home: RegionName,
    credentials: SharedCredentialsProvider,
    configs: InsideConfigs,
}

impl AccountSession {
    /// Only `Sts::assume` calls this, with credentials it got for the proven account.
    pub(super) fn new(
        account: AccountId,
        home: RegionName,
        credentials: SharedCredentialsProvider,
        configs: InsideConfigs,
    ) -> AccountSession {
        AccountSession {
            account,
            home,
            credentials,
            configs,
        }
    }

    /// The account the session is in.
    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// The role's credentials.
    pub(super) fn credentials(&self) -> SharedCredentialsProvider {
        self.credentials.clone()
    }

    /// A Region every account of the partition has.
    pub fn home(&self) -> &RegionName {
        &self.home
    }

    /// EC2 in one Region.
    pub fn ec2(&self, region: &RegionName) -> Ec2 {
        let conf = self
            .configs
            .ec2
            .to_builder()
            .credentials_provider(self.credentials.clone())
            .region(Region::new(region.as_str().to_owned()))
            .build();
        Ec2::from_conf(conf, region.clone())
    }

    /// IAM (global, signed in the partition's home Region).
    pub fn iam(&self) -> Iam {
        let conf = self
            .configs
            .iam
            .to_builder()
            .credentials_provider(self.credentials.clone())
            .region(Region::new(self.home.as_str().to_owned()))
            .build();
        Iam::from_conf(conf, self.account.clone())
    }

    /// S3 Control, for the account's own settings.
    pub fn s3control(&self) -> S3Control {
        let conf = self
            .configs
            .s3control
            .to_builder()
            .credentials_provider(self.credentials.clone())
            .region(Region::new(self.home.as_str().to_owned()))
            .build();
        S3Control::from_conf(conf, self.account.clone())
    }
}

/// S3 Control's endpoint rules put the account id in the host name (`{id}.{endpoint}`), a
/// custom endpoint's included. A custom endpoint given as an IP address (a local endpoint on
/// 127.0.0.1) cannot take a name before it, so there the host is left as given: the SDK sends
/// the account in the x-amz-account-id header anyway. AWS's own endpoints are names, never
/// addresses, and pass through unchanged.
#[derive(Debug)]
struct AddressEndpoint(aws_sdk_s3control::config::endpoint::DefaultResolver);

impl ResolveEndpoint for AddressEndpoint {
    fn resolve_endpoint<'a>(&'a self, params: &'a Params) -> EndpointFuture<'a> {
        EndpointFuture::new(async move {
            let endpoint = self.0.resolve_endpoint(params).await?;
            Ok(match unprefixed(endpoint.url(), params.account_id()) {
                Some(url) => endpoint_with_url(&endpoint, url),
                None => endpoint,
            })
        })
    }
}

/// `scheme://{account}.{ip}[:port]/path` without the account, when what follows it is an IP
/// address; None otherwise.
fn unprefixed(url: &str, account: Option<&str>) -> Option<String> {
    let account = account?;
    let (scheme, rest) = url.split_once("://")?;
    let after = rest.strip_prefix(account)?.strip_prefix('.')?;
    let authority = after.split('/').next().unwrap_or(after);
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.parse::<std::net::IpAddr>()
        .is_ok()
        .then(|| format!("{scheme}://{after}"))
}

fn endpoint_with_url(endpoint: &Endpoint, url: String) -> Endpoint {
    let mut builder = Endpoint::builder().url(url);
    for (name, values) in endpoint.headers() {
        for value in values {
            builder = builder.header(name.to_owned(), value.to_owned());
        }
    }
    for (name, value) in endpoint.properties() {
        builder = builder.property(name.to_string(), value.clone());
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_account_before_an_ip_address_is_taken_off_the_s3_control_host() {
        assert_eq!(
            unprefixed("http://111122223333.127.0.0.1:4566/", Some("111122223333")).as_deref(),
            Some("http://127.0.0.1:4566/")
        );
        assert_eq!(
            unprefixed("http://111122223333.[::1]:4566", Some("111122223333")).as_deref(),
            Some("http://[::1]:4566")
        );
        // AWS's names are left alone.
        assert_eq!(
            unprefixed(
                "https://111122223333.s3-control.us-east-1.amazonaws.com",
                Some("111122223333")
            ),
            None
        );
        assert_eq!(unprefixed("http://127.0.0.1:4566", None), None);
    }
}
