"""Creates an organization and two OUs in the local endpoint; prints the ids as JSON. With
--trusted-access, also enables trusted access for the Account Management API
(account.amazonaws.com), which alternate contacts and Regions of member accounts need."""
import json
import sys

import boto3

endpoint = sys.argv[1]
trusted_access = "--trusted-access" in sys.argv[2:]
client = boto3.client(
    "organizations",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="AKIAFAKEFAKEFAKE0000",
    aws_secret_access_key="fake-secret-for-local-use",
)
client.create_organization(FeatureSet="ALL")
if trusted_access:
    client.enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
root = client.list_roots()["Roots"][0]["Id"]
ous = {
    name: client.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]
    for name in ("Workloads", "Sandbox")
}
print(json.dumps({"root": root, **ous}))
