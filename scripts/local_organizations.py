"""A realistic local AWS Organizations: moto's server, extended in-process to behave as the real
service does where it matters to an account handler.

Plain moto finishes CreateAccount at once. AWS does not, and a handler that only works against
instant creation is not done. This extension makes creation asynchronous and bounded:

- CreateAccount / CreateGovCloudAccount answer IN_PROGRESS with no AccountId. The request settles
  after `creation_seconds` of wall-clock time; only then does the account exist (DescribeAccount,
  ListAccounts, ListParents, tags) and DescribeCreateAccountStatus give its AccountId.
- At most `max_in_flight` (5, as in AWS) creations run at once; one more is refused with
  ConstraintViolationException reason ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED.
- A request whose e-mail is already used (by an account, or by an earlier request still in
  flight) ends FAILED with EMAIL_ALREADY_EXISTS. Closed accounts keep their address, as in AWS,
  unless `closed_emails_reusable` is set (the contract suite creates with one input many times);
  `closed_aliases_reusable` likewise frees the IAM account alias of a closed account.
- A request can end FAILED with CONCURRENT_ACCOUNT_MODIFICATION: at random (`concurrent_rate`)
  or the first request for each account name matching `concurrent_names` (deterministic tests).
- Calls are throttled per operation, as Organizations does (its quotas page has a table of
  throttling limits per operation; the figures could not be read here, so they are settings):
  `calls_per_second` ("Operation=N,..."; CreateAccount=5 by default) answers a call beyond N in
  the last second with TooManyRequestsException before the service acts, and counts it under
  `throttled` in the stats, so that a strategy that knocks shows up as throttling.
- CreateGovCloudAccount works (moto answers HTTP 500) and pairs a GovCloud account id.
- ListCreateAccountStatus paginates properly (moto repeats its first page), and with
  `empty_pages` every listing the handler pages through starts with an empty page that carries a
  NextToken, as AWS may answer.
- RemoveAccountFromOrganization refuses an account made with CreateAccount (ConstraintViolation
  ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION): such an account lacks what a standalone
  account needs until its root user completes it. `standalone_ready` plays that done.
- Tags are held to AWS's TagKey (1-128) and TagValue (0-256) rule, `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`
  (botocore's model), on CreateAccount, CreateGovCloudAccount and TagResource: one bad tag fails
  the whole request with InvalidInputException (moto accepts anything).
- ListParents of an account that is not (or no longer) in the organization answers
  ChildNotFoundException, its only not-found error (moto says AccountNotFoundException).
- CloseAccount takes `closing_seconds` of wall-clock time in PENDING_CLOSURE before the account
  is SUSPENDED (0, the default: at once, as moto does); a CloseAccount while a close is under way
  is refused with ConflictException, and one of a closed account with
  AccountAlreadyClosedException.
- `latency_ms` delays every Organizations answer, as AWS's round trips of tens of milliseconds
  do (the benchmark uses it to show calls issued together).
- Fault mode (opt-in, `faults` = a probability per call, seeded): throttling and HTTP 500 before
  the service acts, and, for changing calls, the answer dropped after the service acted (HTTP 500
  after the change was made: the caller cannot tell whether it happened).
  `lose_create_answers` = N drops the answers of the first N CreateAccount calls after acting,
  `lose_close_answers` = N those of the first N CloseAccount calls (the SDK then retries).
  `fault_kinds` (comma-separated: throttle, error, lost) limits the faults to those kinds.

CloudWatch: the AWS SDKs now speak its smithy rpcv2-CBOR protocol, which moto lacks; requests in
it are translated to moto's JSON protocol and the answers back to CBOR, so that a handler using
the official SDK can publish metrics here. Logs and CloudWatch calls are counted too.

The Account Management API's PutAccountName (`POST /putAccountName`, JSON AccountId and
AccountName), which moto lacks, renames a member account as it would outside CloudFormation.
Its alternate contacts and Regions, and a new account's readiness (AssumeRole refused for
`ready_seconds` after creation), are scripts/local_account.py's: held to AWS's rules
(membership, trusted access for account.amazonaws.com, patterns, the Region opt states and
quotas). Fault mode covers them as it covers Organizations.

Tags become visible eventually, as Organizations' reads are eventually consistent:
`tag_visible_seconds` (0 by default) keeps an account's tags out of ListTagsForResource for that
long after the account was created (the tags given to CreateAccount are applied together).
`deny_operations` (comma-separated Organizations operations) answers those with
AccessDeniedException, as for a caller whose policy lacks them. `lose_region_answers` = N drops the answers of the first N EnableRegion/DisableRegion calls after
the service acted. STS refuses AssumeRole signed for an opt-in Region that the target account
(one created through the organization) has not enabled: RegionDisabledException, as AWS does.

Control (loopback only): GET /_local_org/stats gives call counts per operation, the faults
injected by kind (throttle, error, lost), and `touched`: per account id, the changing calls that
named it (Organizations' MoveAccount, TagResource, UntagResource, CloseAccount,
RemoveAccountFromOrganization; the Account Management API's Put/DeleteAlternateContact,
Enable/DisableRegion as `Account.<op>`; `STS.AssumeRole` into it); GET /_local_org/accounts the alternate contacts and
Region statuses per account;
GET/POST /_local_org/config reads or changes the settings at run time (JSON).

Run: python scripts/local_organizations.py -p PORT [--creation-seconds 3] [...]
Settings also come from LOCAL_ORG_<NAME> environment variables (e.g. LOCAL_ORG_FAULTS=0.2).
"""

from __future__ import annotations

import argparse
import datetime
import io
import itertools
import json
import os
import random
import re
import threading
import time
import unicodedata
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from moto.core.exceptions import ServiceException
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.organizations import models as org_models
from moto.organizations import utils as org_utils
from moto.organizations.exceptions import AWSOrganizationsNotInUseException
from werkzeug.serving import run_simple

import local_account
import local_inside

DEFAULTS: dict[str, Any] = {
    "creation_seconds": 3.0,
    "max_in_flight": 5,
    "calls_per_second": "CreateAccount=5",
    "concurrent_rate": 0.0,
    "concurrent_names": "",
    "closed_emails_reusable": False,
    "closed_aliases_reusable": False,
    "empty_pages": False,
    "faults": 0.0,
    "lose_create_answers": 0,
    "lose_close_answers": 0,
    "standalone_ready": False,
    "latency_ms": 0,
    "closing_seconds": 0.0,
    "fault_kinds": "throttle,error,lost",
    "seed": 1,
    "tag_visible_seconds": 0.0,
    "lose_region_answers": 0,
    "deny_operations": "",
    **local_account.DEFAULTS,
}

# The handler's operations: fault mode applies to these only, so that a test's own set-up
# (CreateOrganization, CreateOrganizationalUnit) is not disturbed.
HANDLER_OPERATIONS = {
    "CreateAccount", "CreateGovCloudAccount", "DescribeCreateAccountStatus",
    "ListCreateAccountStatus", "DescribeAccount", "ListAccounts", "ListParents", "ListRoots",
    "ListTagsForResource", "MoveAccount", "TagResource", "UntagResource", "CloseAccount",
    "RemoveAccountFromOrganization",
}
CHANGING_OPERATIONS = {
    "CreateAccount", "CreateGovCloudAccount", "MoveAccount", "TagResource", "UntagResource",
    "CloseAccount", "RemoveAccountFromOrganization",
}
PAGED_OPERATIONS = {"ListAccounts", "ListCreateAccountStatus", "ListTagsForResource"}
EMPTY_PAGE_TOKEN = "local-org-empty-first-page"
CBOR_PREFIX = "/service/GraniteServiceVersion20100801/operation/"


def _json_default(value: Any) -> Any:
    """CBOR timestamps (tag 1) arrive as datetimes; the JSON protocol sends epoch seconds."""
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, (bytes, bytearray)):
        import base64

        return base64.b64encode(value).decode()
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


class Settings:
    """The current settings, changeable at run time through /_local_org/config."""

    def __init__(self, values: dict[str, Any]):
        self.values = dict(DEFAULTS)
        self.update(values)

    def update(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if key not in DEFAULTS:
                raise ValueError(f"unknown setting {key!r}; known: {sorted(DEFAULTS)}")
            self.values[key] = type(DEFAULTS[key])(value) if not isinstance(DEFAULTS[key], bool) \
                else value in (True, "1", "true", "True", 1)
        self.rng = random.Random(self.values["seed"])

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError as e:
            raise AttributeError(name) from e


SETTINGS = Settings({})
LOCK = threading.RLock()
CALLS: Counter[str] = Counter()
FAULTS: Counter[str] = Counter()
# account id -> changing operation -> calls that named it.
TOUCHED: dict[str, Counter[str]] = {}


def touched(account_id: str | None, op: str) -> None:
    if isinstance(account_id, str) and re.fullmatch(r"\d{12}", account_id):
        with LOCK:
            TOUCHED.setdefault(account_id, Counter())[op] += 1
CALL_TIMES: dict[str, deque[float]] = {}
THROTTLED: Counter[str] = Counter()
LOST_CREATE_ANSWERS = itertools.count()
LOST_CLOSE_ANSWERS = itertools.count()
LOST_REGION_ANSWERS = itertools.count()
ACCOUNT_API = local_account.AccountManagement(SETTINGS, LOCK, CALLS)


class ConstraintViolation(ServiceException):
    code = "ConstraintViolationException"

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class InvalidInput(ServiceException):
    code = "InvalidInputException"


class ChildNotFound(ServiceException):
    code = "ChildNotFoundException"


class Conflict(ServiceException):
    code = "ConflictException"


# What TagKey and TagValue allow: Unicode letters (L*), separators (Z*), numbers (N*) and these.
TAG_PUNCTUATION = set("_.:/=+-@")


def tag_rule_broken(key: str, value: str) -> str | None:
    def bad(text: str) -> str | None:
        return next((c for c in text if c not in TAG_PUNCTUATION
                     and unicodedata.category(c)[0] not in "LZN"), None)

    if not 1 <= len(key) <= 128:
        return f"tag key length {len(key)} is outside 1-128"
    if len(value) > 256:
        return f"tag value length {len(value)} is over 256"
    for part, text in (("key", key), ("value", value)):
        c = bad(text)
        if c is not None:
            return (f"1 validation error detected: Value at 'tags.{part}' failed to satisfy "
                    f"constraint: Member must satisfy regular expression pattern: "
                    f"[\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]* ({c!r})")
    return None


def check_tags(tags: list[dict[str, str]] | None) -> None:
    for tag in tags or []:
        broken = tag_rule_broken(tag.get("Key", ""), tag.get("Value", ""))
        if broken:
            raise InvalidInput(broken)


@dataclass
class Request:
    """One CreateAccount / CreateGovCloudAccount request and how it ended."""

    id: str
    kwargs: dict[str, Any]
    gov_cloud: bool
    requested: float
    settles_at: float
    state: str = "IN_PROGRESS"
    failure_reason: str | None = None
    account_id: str | None = None
    gov_cloud_account_id: str | None = None

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Id": self.id,
            "AccountName": self.kwargs["AccountName"],
            "State": self.state,
            "RequestedTimestamp": self.requested,
        }
        if self.state != "IN_PROGRESS":
            out["CompletedTimestamp"] = self.settles_at
        if self.account_id:
            out["AccountId"] = self.account_id
        if self.gov_cloud_account_id:
            out["GovCloudAccountId"] = self.gov_cloud_account_id
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        return out


@dataclass
class Ledger:
    """The create requests of one organization (one moto backend)."""

    requests: list[Request] = field(default_factory=list)
    concurrent_failed_names: set[str] = field(default_factory=set)


LEDGERS: dict[int, tuple[Any, Ledger]] = {}


def ledger(backend: Any) -> Ledger:
    return LEDGERS.setdefault(id(backend), (backend, Ledger()))[1]


def email_taken(backend: Any, email: str, before: Request | None) -> bool:
    email = email.lower()
    for account in backend.accounts:
        if account.email.lower() != email:
            continue
        if account.state == "ACTIVE" or not SETTINGS.closed_emails_reusable:
            return True
    # Earlier requests still in flight claim their address too (settled ones made an account,
    # checked above).
    for r in ledger(backend).requests:
        if r is before:
            break
        if r.state == "IN_PROGRESS" and r.kwargs["Email"].lower() == email:
            return True
    return False


def settle(backend: Any, now: float) -> None:
    """Finishes every request whose time has come, in the order they were made."""
    book = ledger(backend)
    for r in book.requests:
        if r.state != "IN_PROGRESS" or r.settles_at > now:
            continue
        name = r.kwargs["AccountName"]
        if email_taken(backend, r.kwargs["Email"], before=r):
            r.state, r.failure_reason = "FAILED", "EMAIL_ALREADY_EXISTS"
            continue
        pattern = SETTINGS.concurrent_names
        forced = bool(pattern) and re.search(pattern, name) and name not in book.concurrent_failed_names
        if forced or SETTINGS.rng.random() < SETTINGS.concurrent_rate:
            book.concurrent_failed_names.add(name)
            r.state, r.failure_reason = "FAILED", "CONCURRENT_ACCOUNT_MODIFICATION"
            continue
        ORIGINAL_CREATE_ACCOUNT(backend, **r.kwargs)
        account = backend.accounts[-1]
        account.create_account_status_id = r.id
        r.state, r.account_id = "SUCCEEDED", account.id
        ACCOUNT_API.account_created(account.id, now)
        if r.gov_cloud:
            r.gov_cloud_account_id = org_utils.make_random_account_id()


def settle_all() -> None:
    now = time.time()
    with LOCK:
        for backend, _ in list(LEDGERS.values()):
            settle(backend, now)
        settle_closes(now)


def create_account(self: Any, gov_cloud: bool = False, **kwargs: Any) -> dict[str, Any]:
    if self.org is None:
        raise AWSOrganizationsNotInUseException
    check_tags(kwargs.get("Tags"))
    now = time.time()
    with LOCK:
        settle(self, now)
        book = ledger(self)
        in_flight = sum(1 for r in book.requests if r.state == "IN_PROGRESS")
        if in_flight >= SETTINGS.max_in_flight:
            raise ConstraintViolation(
                "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED",
                f"You have {in_flight} account creations in progress; wait for one to finish.",
            )
        request = Request(
            id=org_utils.make_random_create_account_status_id(),
            kwargs=kwargs,
            gov_cloud=gov_cloud,
            requested=now,
            settles_at=now + SETTINGS.creation_seconds,
        )
        book.requests.append(request)
        return {"CreateAccountStatus": request.status()}


def find_request(self: Any, request_id: str) -> Request | None:
    return next((r for r in ledger(self).requests if r.id == request_id), None)


def describe_create_account_status(self: Any, **kwargs: Any) -> dict[str, Any]:
    with LOCK:
        settle(self, time.time())
        request = find_request(self, kwargs["CreateAccountRequestId"])
        if request is None:
            return ORIGINAL_DESCRIBE_STATUS(self, **kwargs)
        return {"CreateAccountStatus": request.status()}


def list_create_account_status(self: Any, **kwargs: Any) -> dict[str, Any]:
    with LOCK:
        settle(self, time.time())
        states = kwargs.get("States") or ["IN_PROGRESS", "SUCCEEDED", "FAILED"]
        statuses = [r.status() for r in ledger(self).requests if r.state in states]
    start = int(kwargs.get("NextToken") or 0)
    size = int(kwargs.get("MaxResults") or 20)
    page = statuses[start : start + size]
    token = str(start + size) if start + size < len(statuses) else None
    return {"CreateAccountStatuses": page, "NextToken": token}


def remove_account_from_organization(self: Any, **kwargs: Any) -> None:
    account = self.get_account_by_id(kwargs["AccountId"])
    if account.joined_method == "CREATED" and not SETTINGS.standalone_ready:
        raise ConstraintViolation(
            "ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION",
            "You can't remove this account from the organization: it does not yet have the "
            "information it needs to be a standalone account.",
        )
    return ORIGINAL_REMOVE_ACCOUNT(self, **kwargs)


CLOSING: dict[str, tuple[Any, float]] = {}


def close_account(self: Any, **kwargs: Any) -> None:
    # Closing keeps the account's e-mail address taken (email_taken looks at every account).
    account = self.get_account_by_id(kwargs["AccountId"])
    with LOCK:
        if account.state == "PENDING_CLOSURE":
            raise Conflict("The request failed because a close of this account is already in progress.")
        if SETTINGS.closing_seconds <= 0:
            return ORIGINAL_CLOSE_ACCOUNT(self, **kwargs)
        if account.status == "SUSPENDED":
            return ORIGINAL_CLOSE_ACCOUNT(self, **kwargs)  # AccountAlreadyClosedException
        account.status = account.state = "PENDING_CLOSURE"
        CLOSING[account.id] = (account, time.time() + SETTINGS.closing_seconds)


def settle_closes(now: float) -> None:
    for account_id, (account, due) in list(CLOSING.items()):
        if due <= now:
            account.status = account.state = "SUSPENDED"
            del CLOSING[account_id]


def list_parents(self: Any, **kwargs: Any) -> dict[str, Any]:
    child = kwargs["ChildId"]
    if re.fullmatch(r"[0-9]{12}", child) and not any(a.id == child for a in self.accounts):
        raise ChildNotFound(f"We can't find an organizational unit (OU) or AWS account with the ChildId {child}.")
    return ORIGINAL_LIST_PARENTS(self, **kwargs)


def list_tags_for_resource(self: Any, **kwargs: Any) -> dict[str, Any]:
    answer = ORIGINAL_LIST_TAGS(self, **kwargs)
    created = ACCOUNT_API.created_at.get(kwargs.get("ResourceId", ""))
    if created is not None and time.time() < created + SETTINGS.tag_visible_seconds:
        return {"Tags": []}
    return answer


def tag_resource(self: Any, **kwargs: Any) -> None:
    check_tags(kwargs.get("Tags"))
    return ORIGINAL_TAG_RESOURCE(self, **kwargs)


ORIGINAL_CREATE_ACCOUNT = org_models.OrganizationsBackend.create_account
ORIGINAL_DESCRIBE_STATUS = org_models.OrganizationsBackend.describe_create_account_status
ORIGINAL_CLOSE_ACCOUNT = org_models.OrganizationsBackend.close_account
ORIGINAL_REMOVE_ACCOUNT = org_models.OrganizationsBackend.remove_account_from_organization
ORIGINAL_LIST_PARENTS = org_models.OrganizationsBackend.list_parents
ORIGINAL_TAG_RESOURCE = org_models.OrganizationsBackend.tag_resource
ORIGINAL_LIST_TAGS = org_models.OrganizationsBackend.list_tags_for_resource


def install() -> None:
    B = org_models.OrganizationsBackend
    B.create_account = create_account
    B.create_gov_cloud_account = lambda self, **kw: create_account(self, gov_cloud=True, **kw)
    B.describe_create_account_status = describe_create_account_status
    B.list_create_account_status = list_create_account_status
    B.close_account = close_account
    B.remove_account_from_organization = remove_account_from_organization
    B.list_parents = list_parents
    B.tag_resource = tag_resource
    B.list_tags_for_resource = list_tags_for_resource

    from moto.organizations import responses

    def create_gov_cloud_account(self: Any) -> str:
        return json.dumps(self.organizations_backend.create_gov_cloud_account(**self.request_params))

    responses.OrganizationsResponse.create_gov_cloud_account = create_gov_cloud_account

    from moto.sts import models as sts_models
    from moto.sts.exceptions import STSClientError

    original_assume = sts_models.STSBackend.assume_role
    original_identity = sts_models.STSBackend.get_caller_identity

    def assume_role(self: Any, **kwargs: Any) -> Any:
        match = re.match(r"arn:[^:]*:iam::(\d{12}):", kwargs.get("role_arn", "") or "")
        touched(match.group(1) if match else None, "STS.AssumeRole")
        settle_all()
        with LOCK:
            why = ACCOUNT_API.check_assume(kwargs.get("role_arn", ""), organization_accounts)
        if why:
            raise STSClientError("AccessDenied", why)
        return original_assume(self, **kwargs)

    def get_caller_identity(self: Any, *args: Any, **kwargs: Any) -> Any:
        with LOCK:
            CALLS["STS.GetCallerIdentity"] += 1
        return original_identity(self, *args, **kwargs)

    sts_models.STSBackend.assume_role = assume_role
    sts_models.STSBackend.get_caller_identity = get_caller_identity


def alias_released(account_id: str) -> bool:
    """Whether an account's alias no longer counts against others: only a closed account's, and
    only with `closed_aliases_reusable`."""
    account = organization_accounts().get(account_id)
    return bool(SETTINGS.closed_aliases_reusable) and account is not None and account.state != "ACTIVE"


def opt_status(account_id: str, region: str) -> str:
    """A Region's opt status for an account now (the caller holds LOCK)."""
    ACCOUNT_API.settle(time.time())
    return ACCOUNT_API.status(account_id, region)


def organization_backends() -> list[Any]:
    from moto.organizations.models import organizations_backends

    return [b for by_region in list(organizations_backends.values()) for b in list(by_region.values())
            if b.org is not None]


def organization_accounts() -> dict[str, Any]:
    """Every member account of every organization, by id."""
    return {a.id: a for b in organization_backends() for a in b.accounts}


def member_of(account_id: str) -> Any:
    """The organization backend whose member `account_id` is (the management account's own
    account is not a member for the Account Management API), or None."""
    for backend in organization_backends():
        if account_id != backend.org.master_account_id and any(a.id == account_id for a in backend.accounts):
            return backend
    return None


def peek_json(environ: dict[str, Any]) -> dict[str, Any]:
    """A JSON request body, read and put back for the service to read again."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def error_response(start_response: Any, status: str, code: str, message: str) -> list[bytes]:
    body = json.dumps({"__type": code, "message": message}).encode()
    start_response(status, [("Content-Type", "application/x-amz-json-1.1"),
                            ("Content-Length", str(len(body))), ("x-amzn-ErrorType", code)])
    return [body]


def json_response(start_response: Any, value: Any) -> list[bytes]:
    body = json.dumps(value).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class Middleware:
    """Settles due creations before each call, counts calls, injects faults, serves control."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_local_org/"):
            return self.control(path, environ, start_response)
        if path == "/putAccountName" and environ.get("REQUEST_METHOD") == "POST":
            return self.put_account_name(environ, start_response)
        if path in local_account.PATHS and environ.get("REQUEST_METHOD") == "POST":
            return self.account_api(local_account.PATHS[path], environ, start_response)
        if path.startswith(CBOR_PREFIX) and environ.get("REQUEST_METHOD") == "POST":
            return self.cbor_to_json(path, environ, start_response)
        if "/ec2/aws4_request" in environ.get("HTTP_AUTHORIZATION", ""):
            refused = local_inside.refusal(environ, start_response, self.created_here, self.count)
            if refused is not None:
                return refused
        if "/sts/aws4_request" in environ.get("HTTP_AUTHORIZATION", ""):
            refused = self.sts_region_refusal(environ, start_response)
            if refused is not None:
                return refused
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("Logs_20140328."):
            with LOCK:
                CALLS["Logs." + target.split(".", 1)[1]] += 1
        if not target.startswith("AWSOrganizationsV20161128."):
            return self.app(environ, start_response)
        op = target.split(".", 1)[1]
        if op in CHANGING_OPERATIONS:
            params = peek_json(environ)
            touched(params.get("AccountId") or params.get("ResourceId"), op)
        if SETTINGS.latency_ms:
            time.sleep(SETTINGS.latency_ms / 1000)
        settle_all()
        with LOCK:
            CALLS[op] += 1
        if self.throttled(op):
            return error_response(start_response, "400 Bad Request", "TooManyRequestsException",
                                  f"Rate exceeded for {op}; slow down.")
        with LOCK:
            roll = SETTINGS.rng.random()
            kinds = [k.strip() for k in SETTINGS.fault_kinds.split(",") if k.strip()] or ["throttle"]
            kind = SETTINGS.rng.choice(kinds)
        denied = [o.strip() for o in str(SETTINGS.deny_operations).split(",") if o.strip()]
        if op in denied:
            return error_response(start_response, "400 Bad Request", "AccessDeniedException",
                                  f"You don't have permissions to access this resource (organizations:{op} is denied to this caller)")
        if op in PAGED_OPERATIONS and SETTINGS.empty_pages:
            answer = self.empty_page(op, environ, start_response)
            if answer is not None:
                return answer
        if op in HANDLER_OPERATIONS and roll < SETTINGS.faults:
            with LOCK:
                FAULTS[kind if kind == "throttle" or op in CHANGING_OPERATIONS else "error"] += 1
            if kind == "throttle":
                return error_response(start_response, "400 Bad Request", "TooManyRequestsException",
                                      "Rate exceeded (local fault mode)")
            if kind == "error" or op not in CHANGING_OPERATIONS:
                return error_response(start_response, "500 Internal Server Error", "ServiceException",
                                      "internal error (local fault mode)")
            return self.act_then_lose_answer(environ, start_response)
        if op == "CloseAccount" and next(LOST_CLOSE_ANSWERS) < SETTINGS.lose_close_answers:
            with LOCK:
                FAULTS["lost"] += 1
            return self.act_then_lose_answer(environ, start_response)
        if op == "CreateAccount" and next(LOST_CREATE_ANSWERS) < SETTINGS.lose_create_answers:
            with LOCK:
                FAULTS["lost"] += 1
            return self.act_then_lose_answer(environ, start_response)
        return self.app(environ, start_response)

    @staticmethod
    def throttled(op: str) -> bool:
        """Beyond the operation's calls per second (a sliding second): refused before acting."""
        limits = dict(item.split("=", 1) for item in str(SETTINGS.calls_per_second).split(",") if "=" in item)
        limit = limits.get(op)
        if limit is None:
            return False
        now = time.time()
        with LOCK:
            times = CALL_TIMES.setdefault(op, deque())
            while times and times[0] < now - 1.0:
                times.popleft()
            if len(times) >= float(limit):
                THROTTLED[op] += 1
                return True
            times.append(now)
        return False

    def act_then_lose_answer(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """The service acts; its answer never reaches the caller."""
        seen: list[str] = []
        body = b"".join(self.app(environ, lambda status, headers, exc=None: seen.append(status)))
        del body
        return error_response(start_response, "500 Internal Server Error", "ServiceException",
                              "the answer was lost after the request was carried out (local fault mode)")

    def empty_page(self, op: str, environ: dict[str, Any], start_response: Any) -> list[bytes] | None:
        """The first page of a listing is empty but carries a NextToken."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        params = json.loads(raw or b"{}")
        if params.get("NextToken") == EMPTY_PAGE_TOKEN:
            params.pop("NextToken")
        elif "NextToken" not in params:
            key = {"ListAccounts": "Accounts", "ListCreateAccountStatus": "CreateAccountStatuses",
                   "ListTagsForResource": "Tags"}[op]
            return json_response(start_response, {key: [], "NextToken": EMPTY_PAGE_TOKEN})
        import io

        raw = json.dumps(params).encode()
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        return None

    def cbor_to_json(self, path: str, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """CloudWatch in rpcv2-CBOR, answered by moto's JSON 1.0 protocol implementation."""
        import cbor2

        op = path[len(CBOR_PREFIX):]
        with LOCK:
            CALLS["CloudWatch." + op] += 1
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        params = cbor2.loads(raw) if raw else {}
        body = json.dumps(params, default=_json_default).encode()
        inner = dict(environ)
        inner.update({
            "PATH_INFO": "/",
            "CONTENT_TYPE": "application/x-amz-json-1.0",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_X_AMZ_TARGET": f"GraniteServiceVersion20100801.{op}",
            "wsgi.input": io.BytesIO(body),
        })
        inner.pop("HTTP_SMITHY_PROTOCOL", None)
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            seen["status"] = status

        answer = b"".join(self.app(inner, capture))
        value = json.loads(answer) if answer.strip() else {}
        if not seen["status"].startswith("2") and "__type" not in value:
            value = {"__type": value.get("Error", {}).get("Code", "InternalFailure"), "message": str(value)}
        out = cbor2.dumps(value)
        start_response(seen["status"], [("Content-Type", "application/cbor"),
                                        ("smithy-protocol", "rpc-v2-cbor"),
                                        ("Content-Length", str(len(out)))])
        return [out]

    def account_api(self, op: str, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """The Account Management API (scripts/local_account.py), with fault mode."""
        from moto.iam.models import get_account_id_from

        if SETTINGS.latency_ms:
            time.sleep(SETTINGS.latency_ms / 1000)
        settle_all()
        with LOCK:
            roll = SETTINGS.rng.random()
            kinds = [k.strip() for k in SETTINGS.fault_kinds.split(",") if k.strip()] or ["throttle"]
            kind = SETTINGS.rng.choice(kinds)
        changing = op in local_account.CHANGING
        if changing:
            touched(peek_json(environ).get("AccountId"), "Account." + op)
        fault = roll < SETTINGS.faults
        if fault and kind == "throttle":
            with LOCK:
                CALLS["Account." + op] += 1
                FAULTS["throttle"] += 1
            return error_response(start_response, "429 Too Many Requests", "TooManyRequestsException",
                                  "Rate exceeded (local fault mode)")
        if fault and (kind == "error" or not changing):
            with LOCK:
                CALLS["Account." + op] += 1
                FAULTS["error"] += 1
            return error_response(start_response, "500 Internal Server Error", "InternalServerException",
                                  "internal error (local fault mode)")
        caller = get_account_id_from(local_account.caller_access_key(environ))
        try:
            params = local_account.read_json(environ)
            answer = ACCOUNT_API.handle(op, params, caller, member_of)
        except local_account.Refused as e:
            return error_response(start_response, e.status, e.code, e.message)
        lose = op in ("EnableRegion", "DisableRegion") and next(LOST_REGION_ANSWERS) < SETTINGS.lose_region_answers
        if fault or lose:
            with LOCK:
                FAULTS["lost"] += 1
            return error_response(start_response, "500 Internal Server Error", "InternalServerException",
                                  "the answer was lost after the request was carried out (local fault mode)")
        return json_response(start_response, answer)

    @staticmethod
    def created_here(account_id: str) -> bool:
        with LOCK:
            return account_id in ACCOUNT_API.created_at

    @staticmethod
    def count(op: str, account_id: str | None) -> None:
        if account_id is None:
            with LOCK:
                CALLS[op] += 1
        else:
            touched(account_id, op)

    def sts_region_refusal(self, environ: dict[str, Any], start_response: Any) -> list[bytes] | None:
        """STS in an opt-in Region the account has not enabled: an account created through the
        organization cannot get or use credentials there (RegionDisabledException), as in AWS."""
        from urllib.parse import parse_qs

        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        if form.get("Action") != "AssumeRole":
            return None
        scope = re.search(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/sts/", environ.get("HTTP_AUTHORIZATION", ""))
        target = re.match(r"arn:[^:]*:iam::(\d{12}):", form.get("RoleArn", ""))
        if not scope or not target:
            return None
        region, account_id = scope.group(1), target.group(1)
        with LOCK:
            created = account_id in ACCOUNT_API.created_at
            status = ACCOUNT_API.status(account_id, region) if region in local_account.OPT_IN_REGIONS else "ENABLED_BY_DEFAULT"
        if not created or status in ("ENABLED", "ENABLED_BY_DEFAULT"):
            return None
        with LOCK:
            CALLS["STS.AssumeRole"] += 1
        touched(account_id, "STS.AssumeRole")
        body = ("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
                "<Code>RegionDisabledException</Code><Message>STS is not activated in this region for "
                f"account:{account_id}. Your account administrator can activate STS in this region using "
                "the IAM Console.</Message></Error><RequestId>local</RequestId></ErrorResponse>").encode()
        start_response("403 Forbidden", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
        return [body]

    def put_account_name(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        params = json.loads(environ["wsgi.input"].read(length) or b"{}")
        name = params.get("AccountName", "")
        if not re.fullmatch(r"[ -;=?-~]{1,50}", name):
            return error_response(start_response, "400 Bad Request", "ValidationException",
                                  "AccountName must be 1-50 printable characters other than < and >")
        from moto.organizations.models import organizations_backends

        with LOCK:
            for by_region in organizations_backends.values():
                for backend in by_region.values():
                    for account in backend.accounts:
                        if account.id == params.get("AccountId"):
                            account.name = name
                            return json_response(start_response, {})
        return error_response(start_response, "404 Not Found", "ResourceNotFoundException",
                              "no such account")

    def control(self, path: str, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if path == "/_local_org/stats":
            with LOCK:
                return json_response(start_response, {
                    "calls": dict(CALLS), "faults": dict(FAULTS), "throttled": dict(THROTTLED),
                    "touched": {k: dict(v) for k, v in TOUCHED.items()},
                })
        if path == "/_local_org/accounts":
            return json_response(start_response, ACCOUNT_API.snapshot())
        if path.startswith("/_local_org/inside/"):
            # /_local_org/inside/<account>: what its own calls would show; POST
            # /_local_org/inside/<account>/interface/<region>: something running in the Region's
            # default VPC; POST /_local_org/inside/<account>/by-hand: a change made inside the
            # account outside CloudFormation (alias, EBS encryption, Block Public Access).
            parts = path.split("/")[3:]
            if len(parts) == 1 and re.fullmatch(r"\d{12}", parts[0]):
                return json_response(start_response, local_inside.snapshot(parts[0]))
            if len(parts) == 3 and parts[1] == "interface" and environ.get("REQUEST_METHOD") == "POST":
                return json_response(start_response, local_inside.add_interface(parts[0], parts[2]))
            if len(parts) == 2 and parts[1] == "by-hand" and environ.get("REQUEST_METHOD") == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                change = json.loads(environ["wsgi.input"].read(length) or b"{}")
                return json_response(start_response, local_inside.by_hand(parts[0], change))
        if path == "/_local_org/config":
            if environ.get("REQUEST_METHOD") == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                try:
                    with LOCK:
                        SETTINGS.update(json.loads(environ["wsgi.input"].read(length) or b"{}"))
                except (ValueError, TypeError) as e:
                    return error_response(start_response, "400 Bad Request", "InvalidSetting", str(e))
            return json_response(start_response, SETTINGS.values)
        return error_response(start_response, "404 Not Found", "NotFound", path)


def settings_from_environment() -> dict[str, Any]:
    out = {}
    for key in DEFAULTS:
        value = os.environ.get(f"LOCAL_ORG_{key.upper()}")
        if value is not None:
            out[key] = value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--in-container", action="store_true",
                        help="running in a container of its own: -H 0.0.0.0 is allowed")
    for key, default in DEFAULTS.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(default, bool):
            parser.add_argument(flag, action="store_true", default=None)
        else:
            parser.add_argument(flag, type=type(default), default=None)
    args = parser.parse_args()
    values = settings_from_environment()
    values.update({k: v for k, v in vars(args).items() if k in DEFAULTS and v is not None})
    SETTINGS.update(values)
    # Loopback only, unless it runs in a container of its own (a network namespace the tests
    # made), where all of that container's addresses are its own test host's.
    if args.host not in ("127.0.0.1", "localhost", "::1") and not (args.in_container and args.host == "0.0.0.0"):
        parser.error("the local endpoint listens on loopback only (0.0.0.0 with --in-container)")
    os.environ.setdefault("MOTO_PORT", str(args.port))
    install()
    local_inside.install(opt_status, local_account.DEFAULT_REGIONS, local_account.OPT_IN_REGIONS, LOCK,
                         alias_released)
    app = Middleware(DomainDispatcherApplication(create_backend_app))
    run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
