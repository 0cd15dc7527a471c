"""Inside member accounts, for the realistic local endpoint (scripts/local_organizations.py
installs it): moto's EC2 and IAM, held to AWS's rules where moto is lenient.

moto 5.2 gives every (account, Region) a default VPC with a default subnet per zone, as AWS
does, but:
- AWS attaches an internet gateway to every default VPC (VPC User Guide, "Default VPCs": a
  default VPC comes with an internet gateway and a route to it); moto attaches none. Here the
  default VPC gets its gateway, and DeleteVpc refuses a VPC with a gateway still attached
  (DependencyViolation), as AWS does.
- AWS refuses DeleteSubnet and DeleteVpc while a network interface is in them
  (DependencyViolation: "has dependencies and cannot be deleted"); moto deletes them anyway.
- An account cannot use EC2 in an opt-in Region it has not enabled: AWS answers AuthFailure
  ("AWS was not able to validate the provided access credentials"), and DescribeRegions without
  AllRegions lists only the Regions enabled for the account. moto serves every Region to every
  account. Here the Region opt states are local_account.py's (EnableRegion, DisableRegion).
- An account alias is unique across AWS: CreateAccountAlias of an alias another account holds is
  EntityAlreadyExists (HTTP 409). moto keeps aliases per account and accepts any.

Counts: every EC2 call from inside a member account is counted as `EC2.<Action>` (and
`EC2.<Action>@<region>`), changing ones also in `touched` for the account, so tests can say
what was called where.
"""

from __future__ import annotations

import io
import re
from typing import Any, Callable
from urllib.parse import parse_qs

# EC2 actions that change something, for `touched`.
CHANGING_EC2 = re.compile(r"^(Delete|Detach|Attach|Create|Enable|Disable|Modify|Associate|Disassociate)")


def install(opt_status: Callable[[str, str], str], default_regions: tuple[str, ...],
            opt_in_regions: tuple[str, ...], lock: Any, alias_released: Callable[[str], bool]) -> None:
    """Patches moto's EC2 and IAM backends. `opt_status(account, region)` is the Region's opt
    status for the account (ENABLED, ENABLED_BY_DEFAULT, DISABLED, ...); `alias_released(account)`
    says an account's alias no longer counts (a closed account's, when the settings say so)."""
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.models import availability_zones_and_regions as regions_models
    from moto.ec2.models import subnets as subnet_models
    from moto.ec2.models import vpcs as vpc_models
    from moto.iam import models as iam_models
    from moto.iam.exceptions import EntityAlreadyExists

    original_default_vpc = vpc_models.VPCBackend.create_default_vpc
    original_delete_vpc = vpc_models.VPCBackend.delete_vpc
    original_delete_subnet = subnet_models.SubnetBackend.delete_subnet
    original_describe_regions = regions_models.RegionsAndZonesBackend.describe_regions

    def create_default_vpc(self: Any) -> Any:
        vpc = original_default_vpc(self)
        gateway = self.create_internet_gateway()
        self.attach_internet_gateway(gateway.id, vpc.id)
        return vpc

    def interfaces_in(self: Any, **filters: str) -> list[Any]:
        # describe_network_interfaces knows no filters but the id; the API's call knows them.
        return list(self.get_all_network_interfaces(filters={k: [v] for k, v in filters.items()}))

    def delete_subnet(self: Any, subnet_id: str) -> Any:
        if interfaces_in(self, **{"subnet-id": subnet_id}):
            raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
        return original_delete_subnet(self, subnet_id)

    def delete_vpc(self: Any, vpc_id: str) -> Any:
        attached = self.describe_internet_gateways(filters={"attachment.vpc-id": [vpc_id]})
        if attached or interfaces_in(self, **{"vpc-id": vpc_id}):
            raise DependencyViolationError(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        return original_delete_vpc(self, vpc_id)

    def describe_regions(self: Any, region_names: list[str] | None = None) -> list[Any]:
        # Only the aws partition's (moto lists GovCloud's and China's too), and of its opt-in
        # Regions only those the account enabled.
        listed = original_describe_regions(self, region_names)
        return [r for r in listed
                if r.name in default_regions or (r.name in opt_in_regions and enabled(self.account_id, r.name))]

    def enabled(account_id: str, region: str) -> bool:
        if region not in opt_in_regions:
            return True
        with lock:
            return opt_status(account_id, region) in ("ENABLED", "ENABLED_BY_DEFAULT")

    vpc_models.VPCBackend.create_default_vpc = create_default_vpc
    vpc_models.VPCBackend.delete_vpc = delete_vpc
    subnet_models.SubnetBackend.delete_subnet = delete_subnet
    regions_models.RegionsAndZonesBackend.describe_regions = describe_regions

    def create_account_alias(self: Any, alias: str) -> None:
        for account_id, by_partition in list(iam_models.iam_backends.items()):
            for backend in list(by_partition.values()):
                if (account_id != self.account_id and alias in backend.account_aliases
                        and not alias_released(account_id)):
                    # The model gives the HTTP status (409).
                    raise EntityAlreadyExists(f"The account alias {alias} already exists.")
        self.account_aliases = [alias]

    iam_models.IAMBackend.create_account_alias = create_account_alias
    INSTALLED["enabled"] = enabled


INSTALLED: dict[str, Any] = {}


def ec2_request(environ: dict[str, Any]) -> tuple[str, str, str] | None:
    """(access key, Region, Action) of an EC2 Query request, or None for anything else. The body
    is read and put back."""
    scope = re.search(r"Credential=([A-Z0-9]+)/\d{8}/([a-z0-9-]+)/ec2/aws4_request",
                      environ.get("HTTP_AUTHORIZATION", ""))
    if not scope:
        return None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    action = parse_qs(raw.decode("utf-8", "replace")).get("Action", [""])[0]
    return scope.group(1), scope.group(2), action


def refusal(environ: dict[str, Any], start_response: Any, member: Callable[[str], bool],
            count: Callable[[str, str | None], None]) -> list[bytes] | None:
    """Counts an EC2 call from a member account and refuses it, as AWS does, in an opt-in Region
    the account has not enabled (AuthFailure). None: let moto answer."""
    request = ec2_request(environ)
    if request is None:
        return None
    access_key, region, action = request
    from moto.iam.models import get_account_id_from

    account_id = get_account_id_from(access_key)
    if not member(account_id):
        return None
    count(f"EC2.{action}", None)
    count(f"EC2.{action}@{region}", None)
    if CHANGING_EC2.match(action):
        count(f"EC2.{action}", account_id)
    if INSTALLED["enabled"](account_id, region):
        return None
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>AuthFailure</Code>"
            "<Message>AWS was not able to validate the provided access credentials</Message></Error></Errors>"
            "<RequestID>local</RequestID></Response>").encode()
    start_response("401 Unauthorized", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


def snapshot(account_id: str) -> dict[str, Any]:
    """The inside of one account as its own calls would show it: per Region the account may use,
    its default VPCs (with their internet gateways and subnets) and EBS encryption by default;
    its alias; its account-level Block Public Access."""
    from moto.ec2.models import ec2_backends
    from moto.iam.models import iam_backends
    from moto.s3control.models import s3control_backends

    regions: dict[str, Any] = {}
    home = ec2_backends[account_id]["us-east-1"]
    for region in home.describe_regions():
        ec2 = ec2_backends[account_id][region.name]
        vpcs = {}
        for vpc in ec2.describe_vpcs(filters={"is-default": ["true"]}):
            vpcs[vpc.id] = {
                "internet_gateways": [g.id for g in ec2.describe_internet_gateways(
                    filters={"attachment.vpc-id": [vpc.id]})],
                "subnets": [s.id for s in ec2.describe_subnets(filters={"vpc-id": [vpc.id]})],
            }
        regions[region.name] = {"default_vpcs": vpcs, "ebs_encryption": bool(ec2.ebs_encryption_by_default)}
    aliases = [a for b in iam_backends[account_id].values() for a in b.account_aliases]
    from moto.s3control.exceptions import NoSuchPublicAccessBlockConfiguration

    try:
        block = s3control_backends[account_id]["aws"].get_public_access_block(account_id).to_config_dict()
    except NoSuchPublicAccessBlockConfiguration:
        block = None
    return {"regions": regions, "aliases": aliases, "public_access_block": block}


def add_interface(account_id: str, region: str) -> dict[str, Any]:
    """Something running in the Region's default VPC: a network interface in its first subnet, as
    an instance or a Lambda function in the VPC would have."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region]
    vpc = ec2.describe_vpcs(filters={"is-default": ["true"]})[0]
    subnet = ec2.describe_subnets(filters={"vpc-id": [vpc.id]})[0]
    eni = ec2.create_network_interface(subnet, None, description="an application's instance")
    return {"vpc": vpc.id, "subnet": subnet.id, "interface": eni.id}


def by_hand(account_id: str, change: dict[str, Any]) -> dict[str, Any]:
    """A change made inside the account outside CloudFormation, as its own calls would make it:
    `alias` (a name, or null for none), `ebs_encryption` ({Region: on}), `public_access_block`
    ({"BlockPublicAcls": bool, ...}, or null for no configuration). Returns the snapshot."""
    from moto.ec2.models import ec2_backends
    from moto.iam.models import iam_backends
    from moto.s3control.models import s3control_backends

    if "alias" in change:
        iam = iam_backends[account_id]["global"]
        if change["alias"] is None:
            iam.account_aliases = []
        else:
            iam.create_account_alias(change["alias"])
    for region, on in (change.get("ebs_encryption") or {}).items():
        ec2 = ec2_backends[account_id][region]
        if on:
            ec2.enable_ebs_encryption_by_default()
        else:
            ec2.disable_ebs_encryption_by_default()
    if "public_access_block" in change:
        s3control = s3control_backends[account_id]["aws"]
        if change["public_access_block"] is None:
            s3control.public_access_block = None
        else:
            s3control.put_public_access_block(account_id, change["public_access_block"])
    return snapshot(account_id)
