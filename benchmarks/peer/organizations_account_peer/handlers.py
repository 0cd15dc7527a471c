"""What a team would write instead: a READ handler on the official Python runtime
(cloudformation-cli-python-lib) with boto3, making the same three Organizations calls as ours,
one after another, as such handlers usually do. Kept under benchmarks/ only for the comparison
in benchmarks/run.py; never packaged or deployed."""
from dataclasses import dataclass
from typing import Any, List, Mapping, MutableMapping, Optional

from cloudformation_cli_python_lib import (
    Action,
    OperationStatus,
    ProgressEvent,
    Resource,
    SessionProxy,
    exceptions,
)
from cloudformation_cli_python_lib.interface import BaseModel, BaseResourceHandlerRequest


@dataclass
class ResourceModel(BaseModel):
    AccountId: Optional[str] = None
    AccountName: Optional[str] = None
    Email: Optional[str] = None
    Arn: Optional[str] = None
    JoinedMethod: Optional[str] = None
    JoinedTimestamp: Optional[str] = None
    Status: Optional[str] = None
    State: Optional[str] = None
    ParentIds: Optional[List[str]] = None
    Tags: Optional[List[Mapping[str, str]]] = None

    @classmethod
    def _deserialize(cls, json_data: Optional[Mapping[str, Any]]) -> Optional["ResourceModel"]:
        if not json_data:
            return None
        known = {k: v for k, v in json_data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


resource = Resource("AWS::Organizations::Account", ResourceModel)


@resource.handler(Action.READ)
def read_handler(
    session: Optional[SessionProxy],
    request: BaseResourceHandlerRequest,
    callback_context: MutableMapping[str, Any],
) -> ProgressEvent:
    model = request.desiredResourceState
    client = session.client("organizations")
    try:
        account = client.describe_account(AccountId=model.AccountId)["Account"]
    except client.exceptions.AccountNotFoundException as e:
        raise exceptions.NotFound("AWS::Organizations::Account", model.AccountId) from e
    parents = client.list_parents(ChildId=model.AccountId)["Parents"]
    tags = []
    for page in client.get_paginator("list_tags_for_resource").paginate(ResourceId=model.AccountId):
        tags.extend({"Key": t["Key"], "Value": t["Value"]} for t in page["Tags"])
    joined = account.get("JoinedTimestamp")
    return ProgressEvent(
        status=OperationStatus.SUCCESS,
        resourceModel=ResourceModel(
            AccountId=account["Id"],
            AccountName=account.get("Name"),
            Email=account.get("Email"),
            Arn=account.get("Arn"),
            JoinedMethod=account.get("JoinedMethod"),
            JoinedTimestamp=joined.isoformat() if joined else None,
            Status=account.get("Status"),
            State=account.get("State"),
            ParentIds=[p["Id"] for p in parents],
            Tags=[t for t in tags if not t["Key"].startswith("cfn-organizations-account:")] or None,
        ),
    )
