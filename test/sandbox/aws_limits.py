"""AWS size limits that moto knows of but does not enforce, enforced as AWS answers them.

* IAM: a role's inline policies together at most 10,240 characters (white space not counted); a managed
  policy document at most 6,144; at most 10 managed policies attached to a role (the default quota).
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
* Lambda: a function's environment variables, keys and values, at most 4 KB.
  https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
"""

from __future__ import annotations

import json
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend
from moto.iam.exceptions import LimitExceededException
from moto.iam.models import IAMBackend

ROLE_INLINE_MAX = 10_240
MANAGED_POLICY_MAX = 6_144
MANAGED_PER_ROLE_MAX = 10
ENVIRONMENT_MAX = 4_096


def policy_size(text: str) -> int:
    """IAM counts a document's characters without white space."""
    try:
        return len(json.dumps(json.loads(text), separators=(",", ":")))
    except ValueError:
        return len("".join(text.split()))


def environment_size(variables: dict[str, str] | None) -> int:
    return sum(len(key.encode()) + len(str(value).encode()) for key, value in (variables or {}).items())


def _check_environment(body: dict[str, Any]) -> None:
    variables = (body.get("Environment") or {}).get("Variables")
    size = environment_size(variables)
    if size > ENVIRONMENT_MAX:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables you have "
            f"provided exceeded the 4KB limit. String measured: {json.dumps(variables, separators=(',', ':'))}"
        )


def install() -> None:
    put_role_policy = IAMBackend.put_role_policy

    def checked_put_role_policy(self: IAMBackend, role_name: str, policy_name: str, policy_json: str) -> None:
        role = self.get_role(role_name)
        others = sum(policy_size(text) for name, text in role.policies.items() if name != policy_name)
        if others + policy_size(policy_json) > ROLE_INLINE_MAX:
            raise LimitExceededException(f"Maximum policy size of {ROLE_INLINE_MAX} bytes exceeded for role {role_name}")
        return put_role_policy(self, role_name, policy_name, policy_json)

    create_policy = IAMBackend.create_policy

    def checked_create_policy(self: IAMBackend, description: str, path: str, policy_document: str, policy_name: str, tags: Any) -> Any:
        if policy_size(policy_document) > MANAGED_POLICY_MAX:
            raise LimitExceededException(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_MAX}")
        return create_policy(self, description, path, policy_document, policy_name, tags)

    create_policy_version = IAMBackend.create_policy_version

    def checked_create_policy_version(self: IAMBackend, policy_arn: str, policy_document: str, set_as_default: bool) -> Any:
        if policy_size(policy_document) > MANAGED_POLICY_MAX:
            raise LimitExceededException(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_MAX}")
        return create_policy_version(self, policy_arn, policy_document, set_as_default)

    attach_role_policy = IAMBackend.attach_role_policy

    def checked_attach_role_policy(self: IAMBackend, policy_arn: str, role_name: str) -> None:
        role = self.get_role(role_name)
        if policy_arn not in role.managed_policies and len(role.managed_policies) >= MANAGED_PER_ROLE_MAX:
            raise LimitExceededException(f"Cannot exceed quota for PoliciesPerRole: {MANAGED_PER_ROLE_MAX}")
        return attach_role_policy(self, policy_arn, role_name)

    create_function = LambdaBackend.create_function

    def checked_create_function(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        _check_environment(spec)
        return create_function(self, spec)

    update_configuration = LambdaBackend.update_function_configuration

    def checked_update_configuration(self: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        _check_environment(body)
        return update_configuration(self, function_name, qualifier, body)

    IAMBackend.put_role_policy = checked_put_role_policy  # type: ignore[method-assign]
    IAMBackend.create_policy = checked_create_policy  # type: ignore[method-assign]
    IAMBackend.create_policy_version = checked_create_policy_version  # type: ignore[method-assign]
    IAMBackend.attach_role_policy = checked_attach_role_policy  # type: ignore[method-assign]
    LambdaBackend.create_function = checked_create_function  # type: ignore[method-assign]
    LambdaBackend.update_function_configuration = checked_update_configuration  # type: ignore[method-assign]
