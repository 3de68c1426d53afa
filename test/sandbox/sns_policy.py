"""SNS topic access policies, enforced on Publish as AWS does (moto stores them but never reads them).

A publish is refused when a statement of the topic's policy denies it (an explicit Deny wins over every
Allow, for the account's own users too). A service principal (CloudWatch publishing an alarm's
notification) needs a statement that allows it; a caller of the owner account needs none, because its
identity policies may allow it (the sandbox's callers have no IAM, so they may). Conditions are
evaluated on the request's context: aws:SourceArn, aws:SourceAccount and AWS:SourceOwner, set only when
a service publishes on behalf of a resource. A negated operator matches a key that is absent, as IAM's do.
https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""

from __future__ import annotations

import json
import logging
from typing import Any

from moto.sns.exceptions import SNSException
from moto.sns.responses import SNSResponse

from shared import arn_like


class AuthorizationError(SNSException):
    code = "AuthorizationError"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, caller: dict[str, str]) -> bool:
    if principal == "*":
        return True
    for kind, names in (principal or {}).items():
        for name in _list(names):
            if name == "*":
                return True
            if kind == "Service" and caller.get("service") == name:
                return True
            if kind == "AWS" and caller.get("service") is None and name in (caller["account"], f"arn:aws:iam::{caller['account']}:root"):
                return True
    return False


def _action_matches(actions: Any, action: str) -> bool:
    return any(a == "*" or a.lower() == action.lower() or a.lower() == "sns:*" for a in _list(actions))


def _condition_holds(condition: dict[str, Any], context: dict[str, str]) -> bool:
    keys = {k.lower(): v for k, v in context.items()}
    for operator, tests in condition.items():
        for key, wanted in tests.items():
            value = keys.get(key.lower())
            wanted = [str(w) for w in _list(wanted)]
            if operator in ("StringEquals", "ArnEquals"):
                ok = value is not None and value in wanted
            elif operator in ("StringNotEquals", "ArnNotEquals"):
                ok = value is None or value not in wanted
            elif operator in ("StringLike", "ArnLike"):
                ok = value is not None and any(arn_like(w, value) for w in wanted)
            elif operator in ("StringNotLike", "ArnNotLike"):
                ok = value is None or not any(arn_like(w, value) for w in wanted)
            elif operator == "Null":
                ok = (value is None) == (wanted[0].lower() == "true")
            else:
                logging.warning("SNS topic policy: condition operator %s is not modelled; the statement does not match", operator)
                ok = False
            if not ok:
                return False
    return True


def publish_allowed(policy_text: str | None, caller: dict[str, str], context: dict[str, str]) -> bool:
    """Whether the topic's policy lets `caller` ({account, service?}) publish, given the request's context."""
    try:
        policy = json.loads(policy_text) if policy_text else {}
    except ValueError:
        policy = {}
    allowed = False
    for statement in _list(policy.get("Statement", [])):
        if not (_principal_matches(statement.get("Principal"), caller) and _action_matches(statement.get("Action", []), "sns:Publish")):
            continue
        if not _condition_holds(statement.get("Condition") or {}, context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = True
    # The owner account's own callers may rely on their identity policies; a service needs the topic's Allow.
    return allowed or (caller.get("service") is None and caller["account"] == caller.get("owner"))


def _topic(account: str, arn: str) -> Any:
    from moto.sns.models import sns_backends
    region = arn.split(":")[3] if arn.count(":") >= 5 else ""
    return sns_backends[account][region].topics.get(arn)


def check_service_publish(topic_arn: str, service: str, source_arn: str, source_account: str) -> bool:
    """Under LOCK: whether a service (CloudWatch for an alarm) may publish to the topic on the source's behalf."""
    account = topic_arn.split(":")[4]
    topic = _topic(account, topic_arn)
    if topic is None:
        return True  # the publish fails on its own
    caller = {"account": source_account, "service": service, "owner": account}
    context = {"aws:SourceArn": source_arn, "aws:SourceAccount": source_account, "AWS:SourceOwner": source_account}
    return publish_allowed(topic.policy, caller, context)


def install() -> None:
    original = SNSResponse.publish

    def publish(self: SNSResponse) -> Any:
        arn = self._get_param("TopicArn") or self._get_param("TargetArn")
        topic = _topic(self.current_account, arn) if arn else None
        if topic is not None:
            caller = {"account": self.current_account, "owner": arn.split(":")[4]}
            if not publish_allowed(topic.policy, caller, {}):
                raise AuthorizationError(f"User: arn:aws:iam::{self.current_account}:root is not authorized to perform: SNS:Publish "
                                         f"on resource: {arn} with an explicit deny in a resource-based policy")
        return original(self)

    SNSResponse.publish = publish  # type: ignore[method-assign]
