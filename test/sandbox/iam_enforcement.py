"""IAM enforcement for the credentials the sandbox gives Lambda functions.

Tests and users call the sandbox with dummy keys and no IAM, as before (or with moto's own
enforcement when started with INITIAL_NO_AUTH_ACTION_COUNT, unchanged). A function's calls carry
the keys AssumeRole issued for its execution role; for those, moto's IAM enforcement runs. Where
moto names the resource a call acts on (SQS calls that name a queue by its URL: the queue's ARN), and
for the ECS calls the worker makes on one service or task (ecs_resource below), a statement's Resource
is matched against it, as IAM does, so a role may send to one queue of an install and be refused
another, or update services in the clusters it was installed for and no other. Elsewhere moto asks
about "*" and only actions are checked:
every statement's Resource matches, so a missing action fails as on AWS, but a too-narrow
Resource does not. (The log lines Lambda writes with the role are checked against their group's and
stream's ARNs: lambda_runtime.LogWriter.)
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html (SQS actions take the queue ARN)
For JSON protocols the denial is answered as JSON (AccessDeniedException), as AWS answers it.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError, _RESTError as RESTError

from shared import DEFAULT_ACCOUNT, credential_of

# Signing names whose IAM action prefix differs: CloudWatch signs as "monitoring", SES as "email".
IAM_PREFIX_OF_SIGNING_NAME = {"monitoring": "cloudwatch", "email": "ses"}

# ECS's JSON protocol names the operation in X-Amz-Target.
ECS_TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."

# Access key ids that the sandbox issued to functions: the sandbox's IAM checks apply to these.
FUNCTION_KEYS: set[str] = set()
# Set while a function's call is checked: only then do the action-only rules below apply, so a
# sandbox started with INITIAL_NO_AUTH_ACTION_COUNT keeps moto's own enforcement for other callers.
CHECKING_FUNCTION = threading.local()


# ---------------------------------------------------------------- IAM enforcement for function keys
def access_key_of(authorization: str) -> str:
    return (credential_of(authorization) or [""])[0]


def region_of(authorization: str) -> str:
    parts = credential_of(authorization)
    return parts[2] if len(parts) > 2 else "us-east-1"


def _ecs_backend(region: str) -> Any:
    """moto's ECS state for a region, or None for a region it does not know (the call then fails on its own)."""
    from moto.ecs.models import ecs_backends
    try:
        return ecs_backends[DEFAULT_ACCOUNT][region]
    except Exception:
        return None


def _name(value: Any, default: str | None = None) -> str | None:
    """A cluster, service or task given by name or by ARN: its last path segment."""
    if value is None:
        return default
    return value.rsplit("/", 1)[-1] if isinstance(value, str) and value else None


def ecs_resource(headers: Any, body: Any, region: str) -> str:
    """The ARN IAM checks an ECS call against, for the calls that take one and the worker makes.

    UpdateService acts on the service's ARN and StopTask on the task's (both name the cluster), RunTask on the
    task definition revision's, the tagging calls on their resourceArn. https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
    Other ECS calls keep "*": moto then checks the action alone.
    """
    target = headers.get("X-Amz-Target") or ""
    if not target.startswith(ECS_TARGET_PREFIX):
        return "*"
    action = target[len(ECS_TARGET_PREFIX):]
    try:
        args = json.loads(body or b"{}")
    except ValueError:
        return "*"
    if not isinstance(args, dict):
        return "*"
    base = f"arn:aws:ecs:{region}:{DEFAULT_ACCOUNT}"
    cluster = _name(args.get("cluster"), "default")
    if action == "UpdateService" and cluster and (service := _name(args.get("service"))):
        # The service's own ARN: a service created before 2021 keeps the short form, service/NAME.
        # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-arn-migration.html
        backend = _ecs_backend(region)
        existing = None if backend is None else backend.services.get(f"{cluster}:{service}")
        return existing.arn if existing is not None else f"{base}:service/{cluster}/{service}"
    if action == "StopTask" and cluster and (task := _name(args.get("task"))):
        return f"{base}:task/{cluster}/{task}"
    if action == "RunTask" and isinstance(args.get("taskDefinition"), str):
        # The revision it runs (a bare family means its latest ACTIVE revision), as IAM sees it.
        backend = _ecs_backend(region)
        try:
            return "*" if backend is None else backend.describe_task_definition(args["taskDefinition"]).arn
        except Exception:  # no such revision: the call fails on its own
            return "*"
    if action in ("TagResource", "UntagResource", "ListTagsForResource") and isinstance(args.get("resourceArn"), str):
        return args["resourceArn"]
    return "*"


def install_iam_enforcement() -> None:
    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def enforce_for_function_keys(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        authorization = self.headers.get("Authorization", "") or ""
        if access_key_of(authorization) not in FUNCTION_KEYS:
            return original(self, iam_request_cls, resource)  # moto's own rules (no IAM unless asked for)
        if resource == "*":
            resource = ecs_resource(self.headers, getattr(self, "body", None), region_of(authorization))
        saved = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # safe: every request runs under LOCK
        CHECKING_FUNCTION.active = True
        try:
            original(self, iam_request_cls, resource)
        except RESTError as error:
            if not self.headers.get("X-Amz-Target") and "json" not in (self.headers.get("Content-Type") or ""):
                raise
            # JSON protocols (ECS, CloudWatch Logs, Lambda...) answer AccessDeniedException as JSON, not XML.
            raise JsonRESTError("AccessDeniedException", getattr(error, "message", None) or str(error)) from error
        finally:
            moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = saved
            CHECKING_FUNCTION.active = False

    ActionAuthenticatorMixin._authenticate_and_authorize_action = enforce_for_function_keys  # type: ignore[method-assign]

    # For most calls moto asks "is this action allowed on resource *?", which no statement with a narrowed
    # Resource matches: then only the action is checked and a statement's Resource always matches. When
    # moto knows the resource (SQS's queue ARN, from the QueueUrl), the Resource is matched as IAM does.
    from moto.iam.access_control import IAMPolicyStatement
    original_matches = IAMPolicyStatement._check_element_matches

    def element_matches(self: Any, statement_element: Any, value: str) -> bool:
        if statement_element == "Resource" and getattr(CHECKING_FUNCTION, "active", False) and value == "*":
            return True
        return original_matches(self, statement_element, value)

    IAMPolicyStatement._check_element_matches = element_matches  # type: ignore[method-assign]

    # moto names the action after the request's signing name; IAM's prefix differs for a few services.
    from moto.iam.access_control import IAMRequestBase
    original_init = IAMRequestBase.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if not getattr(CHECKING_FUNCTION, "active", False):
            return
        prefix, _, action = self._action.partition(":")
        self._action = f"{IAM_PREFIX_OF_SIGNING_NAME.get(prefix, prefix)}:{action}"

    IAMRequestBase.__init__ = init  # type: ignore[method-assign]


def denied_action(headers: dict[str, str], method: str, path: str, body: bytes, action: str) -> str | None:
    """For a call the sandbox answers itself (Invoke): the AccessDenied message, or None when allowed."""
    if access_key_of(headers.get("Authorization", "")) not in FUNCTION_KEYS:
        return None
    from moto.iam.access_control import IAMRequest

    CHECKING_FUNCTION.active = True
    try:
        request = IAMRequest(account_id=DEFAULT_ACCOUNT, method=method, path=path, data={}, body=body,
                             headers=headers, action=action)
        request.check_action_permitted("*")
    except RESTError as error:
        return getattr(error, "message", None) or str(error)
    finally:
        CHECKING_FUNCTION.active = False
    return None
