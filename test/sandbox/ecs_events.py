"""ECS's events on the default EventBridge bus, derived from what the scheduler did in a tick.

After every scheduler tick, observe() compares each service's deployments and service events with
what it saw before and puts, on the default bus of the service's account and region:
  * "ECS Deployment State Change": SERVICE_DEPLOYMENT_IN_PROGRESS when a deployment appears
    (initial or rollback), SERVICE_DEPLOYMENT_COMPLETED when it reaches a steady state,
    SERVICE_DEPLOYMENT_FAILED when the circuit breaker fails it (eventType ERROR);
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html
  * "ECS Service Action": SERVICE_STEADY_STATE (INFO) and SERVICE_TASK_PLACEMENT_FAILURE (WARN).
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_events.html
Rules on the default bus then deliver them (event_sources.py for Lambda targets, moto for SQS).
Deriving the events here keeps the scheduler's own code free of EventBridge.
"""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

from shared import arn_parts, on_reset

_seen_states: dict[str, str] = {}      # deployment id → rolloutState last seen
_seen_events: dict[str, set[str]] = {}  # service ARN → service event ids already seen


def _reset() -> None:
    _seen_states.clear()
    _seen_events.clear()


on_reset(_reset)


def _iso(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _put(service: Any, detail_type: str, detail: dict[str, Any]) -> None:
    from moto.events.models import events_backends
    parts = arn_parts(service.arn)
    events_backends[parts["account"]][parts["region"]].put_events([{
        "Source": "aws.ecs", "DetailType": detail_type, "Detail": json.dumps(detail),
        "Resources": [service.arn], "EventBusName": "default",
    }])


def _deployment_events(service: Any) -> None:
    for dep in service.deployments:
        state = dep.get("rolloutState")
        dep_id = dep.get("id", "")
        previous = _seen_states.get(dep_id)
        if state == previous or state is None:
            continue
        _seen_states[dep_id] = state
        name = {"IN_PROGRESS": "SERVICE_DEPLOYMENT_IN_PROGRESS", "COMPLETED": "SERVICE_DEPLOYMENT_COMPLETED",
                "FAILED": "SERVICE_DEPLOYMENT_FAILED"}.get(state)
        if name is None:
            continue
        detail = {"eventType": "ERROR" if state == "FAILED" else "INFO", "eventName": name, "deploymentId": dep_id,
                  "updatedAt": _iso(dep.get("updatedAt")), "reason": dep.get("rolloutStateReason", "")}
        _put(service, "ECS Deployment State Change", detail)


def _action_events(service: Any) -> None:
    seen = _seen_events.setdefault(service.arn, set())
    for event in reversed(list(service.events or [])):
        if event["id"] in seen:
            continue
        seen.add(event["id"])
        message = event.get("message", "")
        cluster_arn = service.cluster_arn
        if "has reached a steady state" in message:
            detail = {"eventType": "INFO", "eventName": "SERVICE_STEADY_STATE", "clusterArn": cluster_arn,
                      "createdAt": _iso(event.get("createdAt"))}
        elif "unable to place a task" in message:
            detail = {"eventType": "WARN", "eventName": "SERVICE_TASK_PLACEMENT_FAILURE", "clusterArn": cluster_arn,
                      "createdAt": _iso(event.get("createdAt")), "reason": message}
        else:
            continue
        _put(service, "ECS Service Action", detail)


def observe() -> None:
    """Under LOCK, after a scheduler tick."""
    from moto.ecs.models import ecs_backends
    for regions in list(ecs_backends.values()):
        for backend in list(regions.values()):
            for service in list(backend.services.values()):
                try:
                    _deployment_events(service)
                    _action_events(service)
                except Exception:
                    logging.exception("ecs events for %s", getattr(service, "arn", "?"))
