"""How tasks fail in the sandbox, the way ECS reports each failure.

An image's tag selects the failure (the README documents the convention):

  tag starts with   the task...
  fail-pull         never starts: STOPPED with stopCode TaskFailedToStart and a
                    CannotPullContainerError reason (no exit code)
  fail-secret       never starts: STOPPED with stopCode TaskFailedToStart and a
                    ResourceInitializationError naming the secret it could not read
  fail-start        never starts: STOPPED with stopCode TaskFailedToStart and a
                    CannotStartContainerError from the container runtime (its
                    entry point may not be executed), which no diagnosis rule knows
  fail-oom          runs, then its container is killed: exit 137, reason
                    "OutOfMemoryError: Container killed due to memory usage"
  fail-exit1        runs, writes a few lines to its awslogs stream, exits 1
  broken            the same as fail-exit1 (the older spelling)
  fail-health       runs, its container health check turns UNHEALTHY, and the
                    scheduler replaces it: "Task failed container health checks".
                    In a service with a load balancer it is the target group's
                    check that fails instead (elb_health.py): the target turns
                    unhealthy (Target.ResponseCodeMismatch), and once the service's
                    healthCheckGracePeriodSeconds has passed ECS writes the
                    "is unhealthy in (target-group ...)" event and stops the task:
                    "Task failed ELB health checks in (target-group ARN)"

Wording from AWS's pages "Amazon ECS stopped tasks error codes"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html),
"CannotPullContainer task errors"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html),
"Troubleshooting Amazon ECS OutOfMemoryError errors"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/out-of-memory.html) and
"Troubleshooting Amazon ECS ResourceInitializationError errors"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/resource-initialization-error.html),
"Troubleshooting Amazon ECS CannotStartContainerError errors"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cannot-start-container.html) and
"Amazon ECS service unhealthy event messages"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-unhealthy-event-messages.html).

The log lines go to moto's CloudWatch Logs under the stream name ECS uses for the
awslogs driver, ``prefix/container-name/task-id``
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html).
Simplification: a missing log group is created (ECS would fail the task unless
``awslogs-create-group`` is set).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any

START_FAILURES = ("pull", "secret", "start")
MODES_BY_PREFIX = (
    ("fail-pull", "pull"),
    ("fail-secret", "secret"),
    ("fail-start", "start"),
    ("fail-oom", "oom"),
    ("fail-exit1", "exit1"),
    ("fail-health", "health"),
    ("broken", "exit1"),
)


@dataclass(frozen=True)
class Failure:
    stop_code: str
    reason: str
    # A service event ECS writes as it stops the task (the scheduler adds it).
    event: str | None = None


def _tag(image: str | None) -> str | None:
    if not image:
        return None
    # A pinned image (name:tag@sha256:...) fails as its tag does; a digest alone has no tag.
    last = image.rsplit("/", 1)[-1].split("@", 1)[0]
    if ":" not in last:
        return None
    return last.split(":", 1)[1]


def mode_of_image(image: str | None) -> str | None:
    tag = _tag(image)
    if tag is None:
        return None
    return next((mode for prefix, mode in MODES_BY_PREFIX if tag.startswith(prefix)), None)


def mode_of_task_definition(task_def: Any) -> tuple[str, dict[str, Any]] | None:
    """The first container whose image selects a failure, and that failure."""
    for definition in task_def.container_definitions:
        mode = mode_of_image(definition.get("image"))
        if mode is not None:
            return mode, definition
    return None


def on_task_created(task: Any, task_def: Any) -> None:
    """Marks a new task with its failure mode and gives it one container per definition, as ECS does."""
    found = mode_of_task_definition(task_def)
    task._sb_container_definitions = task_def.container_definitions
    task._sb_failure = found[0] if found else None
    task._sb_failing_container = found[1].get("name") if found else None
    if found is None or len(task.containers) >= len(task_def.container_definitions):
        return
    template = task.containers[0]
    containers = []
    for index, definition in enumerate(task_def.container_definitions):
        container = template if index == 0 else copy.copy(template)
        if index > 0:
            container.container_arn = template.container_arn + f"-{index}"
        container.name = definition.get("name")
        container.image = definition.get("image")
        container.cpu = definition.get("cpu")
        container.memory = definition.get("memory")
        containers.append(container)
    task.containers = containers


def is_failing(task: Any) -> bool:
    return getattr(task, "_sb_failure", None) is not None


def due(task: Any, tick_no: int) -> Failure | None:
    """The failure that stops this task at this tick, if its time has come; may mark it unhealthy first."""
    mode = getattr(task, "_sb_failure", None)
    if mode is None:
        return None
    if mode in START_FAILURES:
        if task.last_status == "PENDING" and tick_no - getattr(task, "_sb_tick", 0) >= 1:
            return Failure("TaskFailedToStart", _start_failure_reason(mode, task))
        return None
    if task.last_status != "RUNNING":
        return None
    ran = tick_no - getattr(task, "_sb_running_tick", tick_no)
    if mode == "health" and getattr(task, "_sb_load_balanced", False):
        # The target group's health check fails, not the container's: elb_health.py decides when ECS acts.
        return getattr(task, "_sb_elb_failure", None)
    if mode == "health":
        if ran >= 1:
            for container in task.containers:
                if container.name == task._sb_failing_container:
                    container.health_status = "UNHEALTHY"
            task.health_status = "UNHEALTHY"
        if ran >= 2:
            return Failure("ServiceSchedulerInitiated", "Task failed container health checks")
        return None
    if ran >= 1:
        return Failure("EssentialContainerExited", "Essential container in task exited")
    return None


def _start_failure_reason(mode: str, task: Any) -> str:
    definition = _failing_definition(task)
    image = (definition or {}).get("image", "")
    if mode == "start":
        return (
            "CannotStartContainerError: Error response from daemon: failed to create task for container: "
            "failed to create shim task: OCI runtime create failed: runc create failed: unable to start container "
            'process: exec: "/app/start.sh": permission denied: unknown'
        )
    if mode == "pull":
        first = image.split("/", 1)[0]
        if "/" in image and ("." in first or ":" in first or first == "localhost"):
            reference = image
        else:
            reference = "docker.io/" + (image if "/" in image else "library/" + image)
        return (
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
            f"failed to resolve ref {reference}: {reference}: not found"
        )
    secret = next(
        (s.get("valueFrom") for d in _definitions(task) for s in (d.get("secrets") or []) if s.get("valueFrom")),
        f"arn:aws:secretsmanager:{task.region_name}:{task._account_id}:secret:missing",
    )
    return (
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
        f"unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret {secret} "
        "from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret."
    )


def apply(backend: Any, task: Any, failure: Failure) -> None:
    """What the stop leaves on the task and its containers (and in the container's log stream)."""
    mode = task._sb_failure
    task.stop_code = failure.stop_code
    for container in task.containers:
        failing = container.name == task._sb_failing_container
        if mode in START_FAILURES:
            # Never started: no exit code; a failed pull also names the reason on the container.
            container.exitCode = None
            if mode in ("pull", "start") and failing:
                container.reason = failure.reason
        elif mode == "oom":
            container.exitCode = 137 if failing else 0
            if failing:
                container.reason = "OutOfMemoryError: Container killed due to memory usage"
        elif mode == "health":
            container.exitCode = 143  # SIGTERM from the scheduler's stop
        else:
            container.exitCode = 1 if failing else 0
    if mode in ("exit1", "oom", "health"):
        _write_logs(backend, task, mode)


LOG_LINES = {
    "exit1": [
        "starting {image}",
        "reading configuration from /etc/app/config.yaml",
        "connecting to the database at db.internal:5432",
        "Error: connect ECONNREFUSED 10.0.3.17:5432",
        "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)",
        "fatal: could not connect to the database; exiting with code 1",
    ],
    "oom": [
        "starting {image}",
        "warming the cache: 250000 entries",
        "warming the cache: 500000 entries",
    ],
    "health": [
        "starting {image}",
        "listening on :8081",
    ],
}


def _write_logs(backend: Any, task: Any, mode: str) -> None:
    definition = _failing_definition(task)
    log_config = (definition or {}).get("logConfiguration") or {}
    options = log_config.get("options") or {}
    if log_config.get("logDriver") != "awslogs" or not options.get("awslogs-group"):
        return
    from moto.logs.models import logs_backends  # the logs backend only when a task logs

    region = options.get("awslogs-region") or task.region_name
    logs = logs_backends[backend.account_id][region]
    group = options["awslogs-group"]
    stream = f"{options.get('awslogs-stream-prefix', 'ecs')}/{definition.get('name')}/{task.id}"
    if group not in logs.groups:
        logs.create_log_group(group, {})
    if stream not in logs.groups[group].streams:
        logs.create_log_stream(group, stream)
    now = int(time.time() * 1000)
    lines = [line.format(image=definition.get("image")) for line in LOG_LINES[mode]]
    logs.put_log_events(group, stream, [{"timestamp": now + i, "message": line} for i, line in enumerate(lines)])


def _definitions(task: Any) -> list[dict[str, Any]]:
    return getattr(task, "_sb_container_definitions", [])


def _failing_definition(task: Any) -> dict[str, Any] | None:
    return next((d for d in _definitions(task) if d.get("name") == task._sb_failing_container), None)

