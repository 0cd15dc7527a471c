"""Runs the CloudFormation CLI (`cfn`) with one change: its STS calls go to a local endpoint.

`cfn test` asks STS for temporary credentials and the caller's account id at the partition's
fixed public STS address, which AWS_ENDPOINT_URL cannot redirect and which these machines cannot
reach. This shim replaces only the STS address (from LOCAL_STS_ENDPOINT) in the CLI's endpoint
lookup; every other service, and the contract suite itself, are untouched.
"""
import os
import sys

import rpdk.core.boto_helpers as boto_helpers

_public_endpoint = boto_helpers.get_service_endpoint


def _endpoint(service, region):
    if service == "sts":
        return os.environ["LOCAL_STS_ENDPOINT"]
    return _public_endpoint(service, region)


boto_helpers.get_service_endpoint = _endpoint

from rpdk.core.cli import main  # noqa: E402  (after the patch, so every import sees it)

sys.exit(main())
