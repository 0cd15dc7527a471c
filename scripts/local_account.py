"""The Account Management API and a new account's readiness, for the realistic local endpoint
(scripts/local_organizations.py serves them; this module keeps their state and rules).

moto 5.2 has alternate contacts only, leniently (no membership, trusted-access or pattern checks;
deleting a missing contact succeeds) and no Regions at all. Here, as in AWS:

- ListRegions and GetRegionOptStatus without `AccountId` answer for the caller's own account
  (which Regions the partition has, and which are on by default, is the same for all).
- Every other call names a member account (`AccountId`) and must come from the management account of
  its organization, which must have trusted access enabled for `account.amazonaws.com`
  (EnableAWSServiceAccess). Anything else is AccessDeniedException, with AWS's wording, which
  does not say which of the two is missing. The management account may not name itself.
- Alternate contacts: BILLING, OPERATIONS, SECURITY; Name 1-64, Title 1-50, EmailAddress 1-254
  and PhoneNumber 1-25 with the API reference's patterns (ValidationException naming the field).
  Get or Delete of a contact never set is ResourceNotFoundException.
- Regions: the opt-in Regions start DISABLED, the others are ENABLED_BY_DEFAULT. EnableRegion
  makes a Region ENABLING for `region_enabling_seconds`, then ENABLED; DisableRegion DISABLING for
  `region_disabling_seconds`, then DISABLED. Enabling a Region that is ENABLED, ENABLING or on
  by default, or disabling one that is DISABLED, DISABLING or on by default, is
  ValidationException; enabling one that is DISABLING, or disabling one that is ENABLING, is
  ConflictException. At most 6 opt requests run per account (the Account Management quota; the
  seventh is TooManyRequestsException, and so is a second EnableRegion or DisableRegion for one
  account within a second, the documented rate).
- A member account created through the organization refuses AssumeRole for `ready_seconds`
  after its creation (AWS gives AccessDenied for 30 s to minutes after SUCCEEDED), and a role
  that does not exist in it can never be assumed (moto assumes any ARN; roles of other accounts
  keep that leniency).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Callable

# Settings this module reads (local_organizations.py merges them into its own).
DEFAULTS: dict[str, Any] = {
    "region_enabling_seconds": 3.0,
    "region_disabling_seconds": 3.0,
    "ready_seconds": 0.0,
}

TRUSTED_SERVICE = "account.amazonaws.com"
MAX_REGION_REQUESTS = 6

# The opt-in Regions of the aws partition (ListRegions), and those enabled by default.
OPT_IN_REGIONS = (
    "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2",
    "eu-south-1", "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
)
DEFAULT_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1",
    "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ca-central-1",
    "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "sa-east-1",
)

CONTACT_TYPES = ("BILLING", "OPERATIONS", "SECURITY")
# The API reference's rules (AlternateContact shapes); all four fields are required on Put.
CONTACT_FIELDS = {
    "Name": (64, None),
    "Title": (50, None),
    # Java's regular expressions, as AWS evaluates them: \w and \s are ASCII only.
    "EmailAddress": (254, re.compile(r"[\s]*[\w+=.#|!&-]+@[\w.-]+\.[\w]+[\s]*", re.ASCII)),
    "PhoneNumber": (25, re.compile(r"[\s0-9()+-]+", re.ASCII)),
}

# The REST paths of the operations served here, by operation name.
PATHS = {
    "/putAlternateContact": "PutAlternateContact",
    "/getAlternateContact": "GetAlternateContact",
    "/deleteAlternateContact": "DeleteAlternateContact",
    "/enableRegion": "EnableRegion",
    "/disableRegion": "DisableRegion",
    "/getRegionOptStatus": "GetRegionOptStatus",
    "/listRegions": "ListRegions",
}
# Operations an account may call for itself, without AccountId.
STANDALONE = {"ListRegions", "GetRegionOptStatus"}
CHANGING = {"PutAlternateContact", "DeleteAlternateContact", "EnableRegion", "DisableRegion"}


class Refused(Exception):
    """An Account Management error answer: HTTP status, error code, message."""

    def __init__(self, status: str, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def denied(caller: str, op: str) -> Refused:
    return Refused("403 Forbidden", "AccessDeniedException",
                   f"User: arn:aws:iam::{caller}:root is not authorized to perform: account:{op}")


def invalid(message: str) -> Refused:
    return Refused("400 Bad Request", "ValidationException", message)


def throttled(message: str) -> Refused:
    return Refused("429 Too Many Requests", "TooManyRequestsException", message)


def conflict(message: str) -> Refused:
    return Refused("409 Conflict", "ConflictException", message)


class AccountManagement:
    """The state behind the Account Management API, and the readiness of new accounts."""

    def __init__(self, settings: Any, lock: Any, calls: Any):
        self.settings = settings
        self.lock = lock
        self.calls = calls
        self.contacts: dict[tuple[str, str], dict[str, str]] = {}
        # (account, region) -> (status, when the transition ends)
        self.regions: dict[tuple[str, str], tuple[str, float]] = {}
        self.last_opt_request: dict[str, float] = {}
        self.created_at: dict[str, float] = {}

    # -- readiness ---------------------------------------------------------------------------

    def account_created(self, account_id: str, now: float) -> None:
        with self.lock:
            self.created_at[account_id] = now

    def check_assume(self, role_arn: str, organization_accounts: Callable[[], dict[str, Any]]) -> str | None:
        """Why AssumeRole of `role_arn` is refused now, or None."""
        self.calls["STS.AssumeRole"] += 1
        match = re.fullmatch(r"arn:aws[a-z-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)", role_arn or "")
        if not match:
            return None
        account_id, role_name = match.groups()
        # Only accounts created through this organization: other roles (the contract suite's
        # log-delivery role in the management account) keep moto's leniency.
        created = self.created_at.get(account_id)
        if created is None or account_id not in organization_accounts():
            return None
        if time.time() < created + self.settings.ready_seconds:
            return (f"User is not authorized to perform: sts:AssumeRole on resource: {role_arn} "
                    "(the account was created moments ago and is not ready yet)")
        from moto.iam import iam_backends
        from moto.iam.exceptions import NotFoundException

        try:
            iam_backends[account_id]["aws"].get_role(role_name)
        except NotFoundException:
            return f"User is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        return None

    # -- the API -----------------------------------------------------------------------------

    def handle(self, op: str, params: dict[str, Any], caller: str, member_of: Callable[[str], Any]) -> Any:
        """Answers one call; raises Refused. `member_of(account_id)` gives the organization
        backend the account is a member of, or None."""
        self.calls["Account." + op] += 1
        account_id = params.get("AccountId")
        if account_id is None and op in STANDALONE:
            # An account asking about itself (the management account's own Regions): no
            # membership or trusted access involved, as in AWS.
            with self.lock:
                self.settle(time.time())
                return getattr(self, _snake(op))(caller, params)
        if not isinstance(account_id, str) or not re.fullmatch(r"\d{12}", account_id):
            # The handler always names the member account; the standalone form is not served.
            raise invalid("AccountId: must be the 12-digit id of a member account")
        if account_id == caller:
            raise invalid("The management account can't specify its own AccountId; "
                          "it must call the operation in standalone context")
        backend = member_of(account_id)
        trusted = backend is not None and any(
            s.get("ServicePrincipal") == TRUSTED_SERVICE for s in backend.services)
        if backend is None or backend.org.master_account_id != caller or not trusted:
            raise denied(caller, op)
        with self.lock:
            self.settle(time.time())
            return getattr(self, _snake(op))(account_id, params)

    def put_alternate_contact(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        kind = self.contact_type(params)
        contact = {}
        for name, (longest, pattern) in CONTACT_FIELDS.items():
            value = params.get(name)
            if not isinstance(value, str) or not 1 <= len(value) <= longest:
                raise invalid(f"{name}: must be 1 to {longest} characters")
            if pattern is not None and not pattern.fullmatch(value):
                raise invalid(f"{name}: does not match {pattern.pattern}")
            contact[name] = value
        self.contacts[(account_id, kind)] = contact
        return {}

    def get_alternate_contact(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        kind = self.contact_type(params)
        contact = self.contacts.get((account_id, kind))
        if contact is None:
            raise Refused("404 Not Found", "ResourceNotFoundException",
                          f"No contact of type {kind} was found for account {account_id}.")
        return {"AlternateContact": dict(contact, AlternateContactType=kind)}

    def delete_alternate_contact(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        kind = self.contact_type(params)
        if self.contacts.pop((account_id, kind), None) is None:
            raise Refused("404 Not Found", "ResourceNotFoundException",
                          f"No contact of type {kind} was found for account {account_id}.")
        return {}

    def enable_region(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        region = self.region_name(params)
        status = self.status(account_id, region)
        if status in ("ENABLED", "ENABLING", "ENABLED_BY_DEFAULT"):
            raise invalid(f"RegionName: {region} is already {status} for account {account_id}")
        if status == "DISABLING":
            raise conflict(f"{region} is being disabled for account {account_id}; enable it once that is done")
        self.opt_request(account_id)
        self.regions[(account_id, region)] = ("ENABLING", time.time() + self.settings.region_enabling_seconds)
        return {}

    def disable_region(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        region = self.region_name(params)
        status = self.status(account_id, region)
        if status in ("DISABLED", "DISABLING", "ENABLED_BY_DEFAULT"):
            raise invalid(f"RegionName: {region} is {status} for account {account_id} and cannot be disabled")
        if status == "ENABLING":
            raise conflict(f"{region} is being enabled for account {account_id}; disable it once that is done")
        self.opt_request(account_id)
        self.regions[(account_id, region)] = ("DISABLING", time.time() + self.settings.region_disabling_seconds)
        return {}

    def get_region_opt_status(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        region = self.region_name(params)
        return {"RegionName": region, "RegionOptStatus": self.status(account_id, region)}

    def list_regions(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        wanted = params.get("RegionOptStatusContains") or []
        regions = [{"RegionName": r, "RegionOptStatus": self.status(account_id, r)}
                   for r in sorted(OPT_IN_REGIONS + DEFAULT_REGIONS)]
        return {"Regions": [r for r in regions if not wanted or r["RegionOptStatus"] in wanted]}

    # -- rules -------------------------------------------------------------------------------

    def settle(self, now: float) -> None:
        for key, (status, until) in list(self.regions.items()):
            if status in ("ENABLING", "DISABLING") and until <= now:
                self.regions[key] = ("ENABLED" if status == "ENABLING" else "DISABLED", now)

    def status(self, account_id: str, region: str) -> str:
        if region in DEFAULT_REGIONS:
            return "ENABLED_BY_DEFAULT"
        return self.regions.get((account_id, region), ("DISABLED", 0.0))[0]

    def opt_request(self, account_id: str) -> None:
        now = time.time()
        if now - self.last_opt_request.get(account_id, 0.0) < 1.0:
            raise throttled("Rate exceeded: one EnableRegion or DisableRegion per second per account")
        in_flight = sum(1 for (a, _), (s, _) in self.regions.items()
                        if a == account_id and s in ("ENABLING", "DISABLING"))
        if in_flight >= MAX_REGION_REQUESTS:
            raise throttled(f"account {account_id} has {in_flight} Region opt requests in progress; "
                            f"at most {MAX_REGION_REQUESTS} may run at once")
        self.last_opt_request[account_id] = now

    @staticmethod
    def contact_type(params: dict[str, Any]) -> str:
        kind = params.get("AlternateContactType")
        if kind not in CONTACT_TYPES:
            raise invalid(f"AlternateContactType: must be one of {', '.join(CONTACT_TYPES)}")
        return kind

    @staticmethod
    def region_name(params: dict[str, Any]) -> str:
        region = params.get("RegionName")
        if not isinstance(region, str) or region not in OPT_IN_REGIONS + DEFAULT_REGIONS:
            raise invalid(f"RegionName: {region!r} is not a Region of this partition")
        return region

    def snapshot(self) -> dict[str, Any]:
        """What tests read back: contacts and Region statuses per account."""
        with self.lock:
            self.settle(time.time())
            out: dict[str, Any] = {}
            for (account, kind), contact in self.contacts.items():
                out.setdefault(account, {}).setdefault("contacts", {})[kind] = contact
            for (account, region), (status, _) in self.regions.items():
                out.setdefault(account, {}).setdefault("regions", {})[region] = status
            return out


def _snake(op: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", op).lower()


def caller_access_key(environ: dict[str, Any]) -> str:
    """The access key id a SigV4 request was signed with."""
    match = re.search(r"Credential=([^/,\s]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else ""


def read_json(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        value = json.loads(raw or b"{}")
    except ValueError as e:
        raise invalid(f"the request body is not JSON: {e}") from e
    if not isinstance(value, dict):
        raise invalid("the request body must be a JSON object")
    return value
