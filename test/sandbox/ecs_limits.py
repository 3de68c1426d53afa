"""ECS API limits and refusals moto does not enforce, checked before a request reaches moto.

* StopTask: "Up to 255 characters are allowed in this message" (the reason)
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html
* Tags: "Maximum number of tags per resource - 50" (counted after TagResource merges its tags into the
  resource's; ``aws:`` tags do not count), keys 1 to 128 and values at most 256 characters of letters,
  digits, spaces and ``_ . : / = + - @`` (the pattern ``^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$``); keys starting
  ``aws:`` in any case are reserved for AWS and refused from callers
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html
* RegisterTaskDefinition of one family while another registration of it is in flight fails with
  ``ClientException: Too many concurrent attempts to create a new revision of the specified family.``
  (as reported against AWS in hashicorp/terraform-provider-aws#9777, PrefectHQ/prefect#15865). The
  sandbox serialises requests, so "in flight" is modelled as a window after each registration of a
  family (``registrationConflictSeconds``, 0 = off), during which a second one is refused; ``busyFamilies``
  ({family: n}) refuses the next n registrations of a family outright, for tests that must see the conflict.
* TagResource and UntagResource on a service with the pre-2021 short ARN (``service/NAME``) fail: "If you try to
  tag a service with a short ARN, you receive an InvalidParameterException error."
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TagResource.html
* A switch (``unmodelledTaskDefinitionFields``: {name: value}) makes DescribeTaskDefinition answer
  extra top-level fields, standing in for a setting AWS added after the client's SDK was built.

The exact wording of the limit errors is the sandbox's own; the error types are ECS's.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Callable

STOP_REASON_MAX = 255
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
# ECS's ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ as Python's re can say it: word characters (Unicode letters and
# numbers, and "_") and the Unicode space separators (\p{Z}: not tabs or newlines).
TAG_SAFE = re.compile("^[\\w _.:/=+\\-@\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$")
SHORT_SERVICE_ARN = re.compile(r"^arn:[^:]+:ecs:[^:]*:[^:]*:service/[^/]+$")
CONFLICT_MESSAGE = "Too many concurrent attempts to create a new revision of the specified family."


class EcsLimits:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.conflict_seconds = 0.0
        # Off only to seed state AWS itself could make (CloudFormation adds aws: tags to what it registers).
        self.enforce_tags = True
        self.unmodelled_fields: dict[str, Any] = {}
        self.last_registration: dict[str, float] = {}
        # family -> how many more registrations to refuse, as if another caller held the family that long
        self.busy_families: dict[str, int] = {}
        self.conflicts = 0

    def configure(self, args: dict[str, Any]) -> dict[str, Any]:
        if "registrationConflictSeconds" in args:
            self.conflict_seconds = max(0.0, float(args["registrationConflictSeconds"]))
        if "busyFamilies" in args:
            self.busy_families = {str(k): int(v) for k, v in (args["busyFamilies"] or {}).items()}
        if "enforceTagLimits" in args:
            self.enforce_tags = bool(args["enforceTagLimits"])
        if "unmodelledTaskDefinitionFields" in args:
            self.unmodelled_fields = dict(args["unmodelledTaskDefinitionFields"] or {})
        return self.state()

    def state(self) -> dict[str, Any]:
        return {
            "registrationConflictSeconds": self.conflict_seconds,
            "unmodelledTaskDefinitionFields": self.unmodelled_fields,
            "registrationConflicts": self.conflicts,
            "enforceTagLimits": self.enforce_tags,
        }

    def refuse(self, action: str, params: dict[str, Any],
               existing_tags: Callable[[str], list[dict[str, Any]]] | None = None) -> tuple[str, str] | None:
        """(error type, message) when ECS would refuse this request; None to let moto answer.

        ``existing_tags(arn)`` answers a resource's tags now, so TagResource is counted after its merge."""
        if action == "StopTask" and len(params.get("reason") or "") > STOP_REASON_MAX:
            return "InvalidParameterException", f"Reason must be at most {STOP_REASON_MAX} characters."
        if action in ("TagResource", "UntagResource") and SHORT_SERVICE_ARN.match(str(params.get("resourceArn") or "")):
            return "InvalidParameterException", "Long arn format must be used for tagging operations"
        if self.enforce_tags and action in ("RegisterTaskDefinition", "TagResource", "CreateService", "RunTask"):
            tags = params.get("tags") or []
            if action == "TagResource" and existing_tags is not None:
                try:
                    merged = {t.get("key"): t for t in existing_tags(str(params.get("resourceArn") or ""))}
                except Exception:  # an unknown resource: moto answers that itself
                    merged = {}
                merged.update({t.get("key"): t for t in tags})
                problem = self._tag_problem(tags) or self._tag_problem(list(merged.values()), count_only=True)
            else:
                problem = self._tag_problem(tags)
            if problem:
                return "InvalidParameterException", problem
        if action == "RegisterTaskDefinition":
            family = str(params.get("family") or "")
            now = time.monotonic()
            if self.busy_families.get(family, 0) > 0:
                self.busy_families[family] -= 1
                self.conflicts += 1
                return "ClientException", CONFLICT_MESSAGE
            last = self.last_registration.get(family)
            if self.conflict_seconds > 0 and last is not None and now - last < self.conflict_seconds:
                self.conflicts += 1
                return "ClientException", CONFLICT_MESSAGE
            self.last_registration[family] = now
        return None

    @staticmethod
    def _tag_problem(tags: list[dict[str, Any]], count_only: bool = False) -> str | None:
        counted = [t for t in tags if not str(t.get("key", "")).lower().startswith("aws:")]
        if count_only:
            if len(counted) > MAX_TAGS:
                return f"Too many tags: a resource can have at most {MAX_TAGS} tags, it would have {len(counted)}."
            return None
        reserved = [t.get("key", "") for t in tags if str(t.get("key", "")).lower().startswith("aws:")]
        if reserved:
            return f"Tag keys starting with 'aws:' are reserved for internal use: {reserved[0]}"
        for tag in tags:
            key, value = str(tag.get("key", "")), str(tag.get("value", "") or "")
            if not 1 <= len(key) <= MAX_TAG_KEY:
                return f"Tag keys must be 1 to {MAX_TAG_KEY} characters: {key[:40]}..."
            if len(value) > MAX_TAG_VALUE:
                return f"Tag values must be at most {MAX_TAG_VALUE} characters (key {key})."
            if not TAG_SAFE.match(key) or not TAG_SAFE.match(value):
                return f"Tag {key} has characters outside letters, digits, spaces and _ . : / = + - @."
        if len(tags) > MAX_TAGS:
            return f"Too many tags: a resource can have at most {MAX_TAGS} tags, {len(tags)} were given."
        return None

    def rewrite_answer(self, action: str, body: bytes) -> bytes:
        """DescribeTaskDefinition with the switched-on extra fields, as a newer ECS would answer."""
        if action != "DescribeTaskDefinition" or not self.unmodelled_fields:
            return body
        try:
            answer = json.loads(body)
        except ValueError:
            return body
        if isinstance(answer.get("taskDefinition"), dict):
            answer["taskDefinition"].update(self.unmodelled_fields)
        return json.dumps(answer).encode()

    def answer_rewritten(self, moto_app: Any, environ: dict[str, Any], start_response: Callable[..., Any], action: str) -> list[bytes]:
        """moto's answer, through rewrite_answer, with its Content-Length corrected."""
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        raw = b"".join(moto_app(environ, capture))
        data = self.rewrite_answer(action, raw) if captured["status"].startswith("200") else raw
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], headers + [("Content-Length", str(len(data)))])
        return [data]
