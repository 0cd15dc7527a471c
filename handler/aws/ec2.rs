//! The seam to EC2 inside a member account, one Region at a time, as the account's role (an
//! `AccountSession`'s client): the Regions enabled for the account, its default VPCs and what AWS
//! made with them, and EBS encryption by default. Every call comes back as plain values or a
//! classified HandlerError; a thing already gone when it is deleted is what was wanted.

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::Filter;
use aws_sdk_ec2::{Client, Config};

use crate::aws::translate;
use crate::vocab::baseline::RegionName;
use crate::vocab::error::HandlerError;

const SERVICE: &str = "EC2";

/// EC2 in one Region of one account.
#[derive(Clone)]
pub struct Ec2 {
    client: Client,
    region: RegionName,
}

/// A network interface, as DescribeNetworkInterfaces shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Its id (eni-...).
    pub id: String,
    /// What it is for (interface, lambda, nat_gateway, ...), or its description.
    pub what: String,
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// Ids of the items a Describe answered, those without one left out.
fn ids<'a, T: 'a>(items: &'a [T], id: impl Fn(&T) -> Option<&str>) -> Vec<String> {
    items
        .iter()
        .filter_map(|i| id(i).map(str::to_owned))
        .collect()
}

impl Ec2 {
    /// A client from a finished configuration (the session's, for this Region).
    pub(crate) fn from_conf(conf: Config, region: RegionName) -> Ec2 {
        Ec2 {
            client: Client::from_conf(conf),
            region,
        }
    }

    fn failed<E>(&self, op: &str, e: SdkError<E, HttpResponse>) -> HandlerError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        translate::classify(&format!("{SERVICE} ({})", self.region), op, e, None)
    }

    /// The Regions enabled for the account (DescribeRegions without AllRegions answers only
    /// those: the ones on by default and the opt-in ones it enabled; EC2 API reference).
    pub async fn enabled_regions(&self) -> Result<Vec<String>, HandlerError> {
        let out = self
            .client
            .describe_regions()
            .send()
            .await
            .map_err(|e| self.failed("DescribeRegions", e))?;
        Ok(ids(out.regions(), |r| r.region_name()))
    }

    /// The Region's default VPCs (at most one in AWS).
    pub async fn default_vpcs(&self) -> Result<Vec<String>, HandlerError> {
        let out = self
            .client
            .describe_vpcs()
            .filters(filter("is-default", "true"))
            .send()
            .await
            .map_err(|e| self.failed("DescribeVpcs", e))?;
        Ok(ids(out.vpcs(), |v| v.vpc_id()))
    }

    /// The network interfaces in a VPC: anything running in it (an instance, a Lambda
    /// function's, a load balancer's, a NAT gateway's) has one.
    pub async fn interfaces_in(&self, vpc: &str) -> Result<Vec<Interface>, HandlerError> {
        let out = self
            .client
            .describe_network_interfaces()
            .filters(filter("vpc-id", vpc))
            .send()
            .await
            .map_err(|e| self.failed("DescribeNetworkInterfaces", e))?;
        Ok(out
            .network_interfaces()
            .iter()
            .filter_map(|i| {
                let id = i.network_interface_id()?.to_owned();
                let what = match (i.interface_type(), i.description()) {
                    (_, Some(d)) if !d.is_empty() => d.to_owned(),
                    (Some(t), _) => t.as_str().to_owned(),
                    (None, _) => "in use".to_owned(),
                };
                Some(Interface { id, what })
            })
            .collect())
    }

    /// The internet gateways attached to a VPC.
    pub async fn gateways_of(&self, vpc: &str) -> Result<Vec<String>, HandlerError> {
        let out = self
            .client
            .describe_internet_gateways()
            .filters(filter("attachment.vpc-id", vpc))
            .send()
            .await
            .map_err(|e| self.failed("DescribeInternetGateways", e))?;
        Ok(ids(out.internet_gateways(), |g| g.internet_gateway_id()))
    }

    /// The subnets of a VPC.
    pub async fn subnets_of(&self, vpc: &str) -> Result<Vec<String>, HandlerError> {
        let out = self
            .client
            .describe_subnets()
            .filters(filter("vpc-id", vpc))
            .send()
            .await
            .map_err(|e| self.failed("DescribeSubnets", e))?;
        Ok(ids(out.subnets(), |s| s.subnet_id()))
    }

    /// Detaches and deletes an internet gateway; one already detached or gone is fine.
    pub async fn delete_gateway(&self, gateway: &str, vpc: &str) -> Result<(), HandlerError> {
        let detached = self
            .client
            .detach_internet_gateway()
            .internet_gateway_id(gateway)
            .vpc_id(vpc)
            .send()
            .await;
        if let Err(e) = detached {
            if !gone(
                &e,
                &["Gateway.NotAttached", "InvalidInternetGatewayID.NotFound"],
            ) {
                return Err(self.failed("DetachInternetGateway", e));
            }
        }
        let deleted = self
            .client
            .delete_internet_gateway()
            .internet_gateway_id(gateway)
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(e) if gone(&e, &["InvalidInternetGatewayID.NotFound"]) => Ok(()),
            Err(e) => Err(self.failed("DeleteInternetGateway", e)),
        }
    }

    /// Deletes a subnet; one already gone is fine.
    pub async fn delete_subnet(&self, subnet: &str) -> Result<(), HandlerError> {
        match self.client.delete_subnet().subnet_id(subnet).send().await {
            Ok(_) => Ok(()),
            Err(e) if gone(&e, &["InvalidSubnetID.NotFound"]) => Ok(()),
            Err(e) => Err(self.failed("DeleteSubnet", e)),
        }
    }

    /// Deletes a VPC (its main route table, default network ACL and default security group go
    /// with it); one already gone is fine.
    pub async fn delete_vpc(&self, vpc: &str) -> Result<(), HandlerError> {
        match self.client.delete_vpc().vpc_id(vpc).send().await {
            Ok(_) => Ok(()),
            Err(e) if gone(&e, &["InvalidVpcID.NotFound"]) => Ok(()),
            Err(e) => Err(self.failed("DeleteVpc", e)),
        }
    }

    /// Whether new EBS volumes are encrypted by default in the Region.
    pub async fn ebs_encryption(&self) -> Result<bool, HandlerError> {
        let out = self
            .client
            .get_ebs_encryption_by_default()
            .send()
            .await
            .map_err(|e| self.failed("GetEbsEncryptionByDefault", e))?;
        Ok(out.ebs_encryption_by_default().unwrap_or(false))
    }

    /// Turns EBS encryption by default on or off in the Region.
    pub async fn set_ebs_encryption(&self, on: bool) -> Result<(), HandlerError> {
        match on {
            true => self
                .client
                .enable_ebs_encryption_by_default()
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.failed("EnableEbsEncryptionByDefault", e)),
            false => self
                .client
                .disable_ebs_encryption_by_default()
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.failed("DisableEbsEncryptionByDefault", e)),
        }
    }
}

/// The error says the thing is already as a delete leaves it.
fn gone<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>, codes: &[&str]) -> bool {
    e.as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| codes.contains(&c))
}
