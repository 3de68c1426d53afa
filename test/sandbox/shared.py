"""State the sandbox's service modules share: the global lock, the endpoint, the time factor, resets.

Every moto call and every scheduler tick happens under LOCK. Code that runs a Lambda function
(a node child process that calls back into the sandbox) must never hold it while it waits.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any, Callable

LOCK = threading.RLock()
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


class Settings:
    # Set by sandbox.py once the server listens: what functions get as AWS_ENDPOINT_URL.
    endpoint = ""
    # The asynchronous-invocation queue's clock: Lambda's retry delays (1 and 2 minutes) and
    # MaximumEventAgeInSeconds are multiplied by this factor, so that a retried event takes
    # 0.6 s instead of a minute at the default 0.01. 1.0 is AWS's own pace.
    time_factor = 0.01
    # Bumped by every reset: background work started before a reset stops at its next step.
    generation = 0


_reset_hooks: list[Callable[[], None]] = []


def on_reset(hook: Callable[[], None]) -> None:
    _reset_hooks.append(hook)


def reset_services() -> None:
    Settings.generation += 1
    for hook in _reset_hooks:
        try:
            hook()
        except Exception:
            logging.exception("sandbox reset hook failed")


def credential_of(authorization: str) -> list[str]:
    """A SigV4 credential, Credential=KEY/DATE/REGION/SERVICE/aws4_request, in its parts ([] without one)."""
    marker = "Credential="
    at = authorization.find(marker)
    return authorization[at + len(marker):].split(",", 1)[0].split("/") if at >= 0 else []


def arn_parts(arn: str) -> dict[str, str]:
    """arn:partition:service:region:account:resource → its parts ('' for a missing one)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return {}
    return {"partition": parts[1], "service": parts[2], "region": parts[3], "account": parts[4], "resource": parts[5]}


def arn_like(pattern: str, value: str) -> bool:
    """IAM's ArnLike: * and ? are wildcards within the whole string."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def resource_policy_allows(fn: Any, principal: str, source_arn: str | None, source_account: str | None) -> bool:
    """Whether a function's resource-based policy lets a service principal invoke it.

    A statement matches when its Principal names the service (or *), its Action covers
    lambda:InvokeFunction, and its AWS:SourceArn / AWS:SourceAccount conditions, if any, match.
    https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
    """
    for statement in list(getattr(fn.policy, "statements", [])):
        if statement.get("Effect", "Allow") != "Allow":
            continue
        who = statement.get("Principal")
        names = [who] if isinstance(who, str) else list((who or {}).values())
        flat = [n for item in names for n in (item if isinstance(item, list) else [item])]
        if principal not in flat and "*" not in flat:
            continue
        actions = statement.get("Action")
        actions = [actions] if isinstance(actions, str) else actions or []
        if not any(a in ("lambda:InvokeFunction", "lambda:*", "*") for a in actions):
            continue
        condition = statement.get("Condition") or {}
        wanted_arn = (condition.get("ArnLike") or {}).get("AWS:SourceArn") or (condition.get("ArnEquals") or {}).get("AWS:SourceArn")
        wanted_account = (condition.get("StringEquals") or {}).get("AWS:SourceAccount")
        if wanted_arn is not None and (source_arn is None or not arn_like(wanted_arn, source_arn)):
            continue
        if wanted_account is not None and wanted_account != source_account:
            continue
        return True
    return False


def quiet_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)
