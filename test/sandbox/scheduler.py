"""A small model of the Amazon ECS service scheduler, played against moto's ECS backend.

moto answers the ECS API but starts no tasks for a service and never moves a
deployment on. This module does that part, one tick at a time, on moto's own
objects (so ListTasks/DescribeTasks/DescribeServices show the result at once).

What it models (REPLICA services with the ECS deployment controller):

* Desired count N gives N tasks: real moto ``Task`` objects with
  ``group = "service:NAME"`` and ``startedBy`` = the deployment id, as ECS sets
  them. A task is PENDING for one tick, then RUNNING.
* Deployments: a new taskDefinition or forceNewDeployment makes a new PRIMARY
  deployment (id ``ecs-svc/`` + 19 digits, rolloutState IN_PROGRESS) and the
  previous PRIMARY becomes ACTIVE. This happens inside UpdateService, so its
  answer already carries the new deployment. When every live task belongs to
  the PRIMARY, there are N of them and all are RUNNING, the PRIMARY goes
  COMPLETED and the other deployments disappear.
* Rolling update: new tasks are started while the total stays within
  maximumPercent of N (rounded down) and a task can be placed; old tasks are
  stopped only while there are more than N tasks (or maximumPercent leaves no
  room to start one) and never so that healthy RUNNING tasks fall below
  minimumHealthyPercent of N (rounded up). Old PENDING tasks are stopped at once.
* Capacity: a task that needs EC2 capacity (launchType EC2, or no launchType on
  a cluster that has container instances) is placed on the first ACTIVE
  container instance with enough remaining CPU, memory and ports; the instance's
  remainingResources are charged and released when the task stops. When no
  instance fits, a service event with ECS's wording is written (throttled).
  FARGATE tasks, and tasks of a service without launchType on a cluster without
  container instances, always fit.
* Failing images (failure_modes.py: an image tag starting ``fail-pull``,
  ``fail-secret``, ``fail-oom``, ``fail-exit1``, ``fail-health`` or ``broken``):
  the task stops as ECS reports that failure (stopCode, stoppedReason, the
  containers' exit codes and reasons, health status, awslogs lines) and counts
  in its deployment's failedTasks. It never counts as healthy, so it never lets
  an old task be stopped.
* Circuit breaker (deploymentConfiguration.deploymentCircuitBreaker.enable):
  when failedTasks reaches ceil(0.5 * N) clamped to [3, 200] the PRIMARY goes
  FAILED and stops launching tasks. With rollback, a new PRIMARY deployment on
  the last COMPLETED revision is made (service.taskDefinition follows); when it
  completes, the FAILED deployment disappears with the other old ones. Without
  the breaker a broken deployment stays IN_PROGRESS and retries for ever.
* A task that stops (StopTask or any other way) is replaced on the PRIMARY's
  revision under the same placement and maximumPercent rules.
* DeleteService (status INACTIVE): its tasks are stopped.

What it simplifies:

* Real ECS may stop old tasks first to free room on a full cluster; this model
  always starts first (it stops first only to honour maximumPercent), so a
  cluster without spare capacity gets stuck, with the placement event.
* No health checks, load balancers, placement strategies/constraints,
  capacity providers, task sets, resetOnHealthyTask, service auto scaling or
  deployment alarms. DAEMON services and CODE_DEPLOY/EXTERNAL controllers are
  left alone. One tick = one scheduler decision round; timestamps are wall clock.
* Stopped tasks are kept (DescribeTasks finds them) up to 500 per cluster.

Everything runs under the caller's lock; it is deterministic for the same
sequence of calls (ids come from a seeded random generator).
"""

from __future__ import annotations

import logging
import math
import random
import time
import uuid
from typing import Any

from moto.core.utils import utcnow
from moto.ecs.models import ecs_backends

import failure_modes
from elb_health import HEALTH, counts_healthy as _counts_healthy
from scheduler_tasks import TaskLifecycle
from strategies import Strategies

# One instance, shared with sandbox.py (which resets and configures it and answers the service-deployment APIs).
STRATEGIES = Strategies()

DEFAULT_MIN_HEALTHY = 100
DEFAULT_MAX_PERCENT = 200
EVENT_REPEAT_TICKS = 150  # ECS throttles repeated service events
MAX_EVENTS = 100
MAX_RECORD = 200_000


def default_deployment_configuration(given: dict[str, Any] | None) -> dict[str, Any]:
    """ECS's defaults, overlaid with what the caller gave."""
    conf: dict[str, Any] = {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": DEFAULT_MAX_PERCENT,
        "minimumHealthyPercent": DEFAULT_MIN_HEALTHY,
    }
    for key, value in (given or {}).items():
        if value is not None:
            conf[key] = value
    return conf


def breaker_threshold(desired: int) -> int:
    return min(200, max(3, math.ceil(0.5 * desired)))


class Scheduler(TaskLifecycle):
    def __init__(self) -> None:
        self.reset()

    # ----- state -------------------------------------------------------
    def reset(self) -> None:
        self.rng = random.Random(0)
        self.tick_no = 0
        self.record: list[dict[str, Any]] = []

    def new_deployment_id(self) -> str:
        return "ecs-svc/" + str(self.rng.randrange(10**18, 10**19))

    def _new_uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # ----- hooks called from the API patches ---------------------------
    @staticmethod
    def managed(service: Any) -> bool:
        return (
            service.status == "ACTIVE"
            and service.scheduling_strategy == "REPLICA"
            and (service.deployment_controller or {}).get("type", "ECS") == "ECS"
            and bool(service.task_definition)
        )

    def on_service_created(
        self, service: Any, deployment_configuration: dict[str, Any] | None, launch_type: str | None
    ) -> None:
        service.deployment_configuration = default_deployment_configuration(deployment_configuration)
        service._sb_launch_type = launch_type
        service._sb_last_event = ("", -(10**9))
        service._sb_last_completed = None
        service.pending_count = 0
        service.running_count = 0
        for dep in service.deployments:
            dep["id"] = self.new_deployment_id()
            dep["runningCount"] = 0
            dep["pendingCount"] = 0
            dep["failedTasks"] = 0
            if service.desired_count > 0:
                dep["rolloutState"] = "IN_PROGRESS"
                dep["rolloutStateReason"] = f"ECS deployment {dep['id']} in progress."
            else:
                dep["rolloutState"] = "COMPLETED"
                dep["rolloutStateReason"] = f"ECS deployment {dep['id']} completed."
                service._sb_last_completed = service.task_definition

    def on_service_updated(self, service: Any, old_task_definition: str | None, force: bool) -> None:
        if not self.managed(service):
            return
        if service.task_definition != old_task_definition or force:
            self.new_deployment(service, service.task_definition)

    def new_deployment(self, service: Any, task_definition: str) -> dict[str, Any]:
        now = utcnow()
        template: dict[str, Any] = {}
        for dep in service.deployments:
            if dep["status"] == "PRIMARY":
                template = dep
                dep["status"] = "ACTIVE"
                dep["updatedAt"] = now
        dep_id = self.new_deployment_id()
        dep = {
            "id": dep_id,
            "status": "PRIMARY",
            "taskDefinition": task_definition,
            "desiredCount": service.desired_count,
            "pendingCount": 0,
            "runningCount": 0,
            "failedTasks": 0,
            "createdAt": now,
            "updatedAt": now,
            "launchType": template.get("launchType", service.launch_type),
            "platformVersion": template.get("platformVersion", service.platform_version),
            "platformFamily": template.get("platformFamily"),
            "networkConfiguration": template.get("networkConfiguration"),
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {dep_id} in progress.",
        }
        service.deployments.insert(0, dep)
        return dep

    # ----- the tick ----------------------------------------------------
    def tick(self) -> None:
        self.tick_no += 1
        now = time.time()
        for backend in _existing_backends():
            for service in list(backend.services.values()):
                if service.status == "INACTIVE":
                    for task in self._service_tasks(backend, service):
                        self._stop(backend, task, "Service deleted")
                elif self.managed(service):
                    try:
                        self._tick_service(backend, service, now)
                    except Exception:  # one odd service must not stop the others
                        logging.exception("scheduler: service %s/%s", service.cluster_name, service.name)
                    STRATEGIES.observe(service)  # ECS keeps a record of every deployment, after it leaves the service
            for cluster_name in list(backend.clusters):
                self._tidy_cluster(backend, cluster_name)

    def _service_tasks(self, backend: Any, service: Any, live_only: bool = True) -> list[Any]:
        group = f"service:{service.name}"
        return [
            t
            for t in backend.tasks.get(service.cluster_name, {}).values()
            if t.group == group and (not live_only or t.desired_status == "RUNNING")
        ]

    def _tick_service(self, backend: Any, service: Any, now: float) -> None:
        if not hasattr(service, "_sb_last_event"):
            # created some other way (e.g. CloudFormation): adopt with defaults
            self.on_service_created(service, getattr(service, "deployment_configuration", None), None)
        conf = default_deployment_configuration(getattr(service, "deployment_configuration", None))
        breaker = conf.get("deploymentCircuitBreaker") or {}
        desired = int(service.desired_count or 0)
        min_running = math.ceil(desired * conf["minimumHealthyPercent"] / 100)
        max_total = math.floor(desired * conf["maximumPercent"] / 100)
        deployments = {d["id"]: d for d in service.deployments}
        primary = next((d for d in service.deployments if d["status"] == "PRIMARY"), None)
        if primary is None:
            primary = self.new_deployment(service, service.task_definition)
            deployments[primary["id"]] = primary

        # 1. task lifecycle: PENDING -> RUNNING; a failing image's task stops as failure_modes says
        for task in self._service_tasks(backend, service):
            failure = failure_modes.due(task, self.tick_no)
            if failure is not None:
                failure_modes.apply(backend, task, failure)
                self._stop(backend, task, failure.reason, failure.stop_code)
                if failure.event is not None:
                    self._event(service, failure.event, force=True)
                dep = deployments.get(task.started_by)
                if dep is not None:
                    dep["failedTasks"] = dep.get("failedTasks", 0) + 1
            elif task.last_status == "PENDING" and self.tick_no - getattr(task, "_sb_tick", 0) >= 1:
                task.last_status = "RUNNING"
                task.started_at = utcnow()
                task._sb_running_tick = self.tick_no
                for c in task.containers:
                    c.last_status = "RUNNING"

        # What ECS counts as healthy: load balancer targets, container health checks, the 40 s grace (elb_health.py).
        HEALTH.tick(backend, service, self._service_tasks(backend, service), now)

        # ECS-native blue/green, linear and canary deployments walk stages of their own (strategies.py).
        if STRATEGIES.runs(service, primary):
            STRATEGIES.advance(self, backend, service, primary, desired, now)
            return

        # 2. circuit breaker
        if (
            breaker.get("enable")
            and primary["rolloutState"] == "IN_PROGRESS"
            and primary.get("failedTasks", 0) >= breaker_threshold(desired)
        ):
            primary["rolloutState"] = "FAILED"
            primary["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
            primary["updatedAt"] = utcnow()
            self._event(service, f"(service {service.name}) (deployment {primary['id']}) deployment failed: tasks failed to start.", force=True)
            target = service._sb_last_completed
            if breaker.get("rollback") and target and target != primary["taskDefinition"]:
                failed = primary
                service.task_definition = target
                primary = self.new_deployment(service, target)
                deployments[primary["id"]] = primary
                failed_id = failed["id"]
                STRATEGIES.rolled_back(service, failed, primary)
                self._event(service, f"(service {service.name}) rolling back to deployment {primary['id']}, replacing failed deployment {failed_id}.", force=True)
        launching = primary["rolloutState"] != "FAILED"

        # 3. stop old tasks (old PENDING at once; old RUNNING as replacements are there)
        live = self._service_tasks(backend, service)
        new = [t for t in live if t.started_by == primary["id"]]
        old = [t for t in live if t.started_by != primary["id"]]
        for task in [t for t in old if t.last_status == "PENDING"]:
            self._stop(backend, task, "Deployment replaced this task")
            live.remove(task)
            old.remove(task)
        healthy = sum(1 for t in live if t.last_status == "RUNNING" and _counts_healthy(t))
        old_running = [t for t in old if t.last_status == "RUNNING"]
        old_running.sort(key=lambda t: (getattr(t, "_sb_broken", False) is False, getattr(t, "_sb_tick", 0)))
        while old_running:
            excess = len(live) > desired
            blocked = launching and len(new) < desired and len(live) >= max_total
            task = old_running[0]
            task_healthy = _counts_healthy(task)
            if not (excess or blocked) or (task_healthy and healthy - 1 < min_running):
                break
            self._stop(backend, task, "Deployment replaced this task")
            old_running.pop(0)
            live.remove(task)
            if task_healthy:
                healthy -= 1
        # scale in (desired count lowered) once no old task is left
        if not old and len(new) > desired:
            extra = sorted(new, key=lambda t: (t.last_status == "RUNNING", -getattr(t, "_sb_tick", 0)))[: len(new) - desired]
            for task in extra:
                self._stop(backend, task, "Scaling activity initiated by deployment " + primary["id"])
                live.remove(task)
                new.remove(task)

        # 4. start new tasks on the PRIMARY's revision
        if launching:
            wanted = min(desired - len(new), max_total - len(live))
            for _ in range(max(0, wanted)):
                task = self._start(backend, service, primary)
                if task is None:
                    break
                live.append(task)
                new.append(task)

        # 5. completion
        if (
            primary["rolloutState"] == "IN_PROGRESS"
            and len(live) == len(new) == desired
            and all(t.last_status == "RUNNING" and _counts_healthy(t) for t in new)
        ):
            primary["rolloutState"] = "COMPLETED"
            primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
            primary["updatedAt"] = utcnow()
            service._sb_last_completed = primary["taskDefinition"]
            service.deployments[:] = [primary]
            self._event(service, f"(service {service.name}) (deployment {primary['id']}) deployment completed.", force=True)
            self._event(service, f"(service {service.name}) has reached a steady state.", force=True)

        # 6. counts
        running = pending = 0
        for dep in service.deployments:
            mine = [t for t in live if t.started_by == dep["id"]]
            r = sum(1 for t in mine if t.last_status == "RUNNING")
            p = sum(1 for t in mine if t.last_status == "PENDING")
            d = desired if dep is primary else len(mine)
            if (dep["runningCount"], dep["pendingCount"], dep["desiredCount"]) != (r, p, d):
                dep["runningCount"], dep["pendingCount"], dep["desiredCount"] = r, p, d
                dep["updatedAt"] = utcnow()
        running = sum(1 for t in live if t.last_status == "RUNNING")
        pending = sum(1 for t in live if t.last_status == "PENDING")
        service.running_count = running
        service.pending_count = pending

        # 7. record
        self.record.append(
            {
                "t": now,
                "tick": self.tick_no,
                "cluster": service.cluster_name,
                "service": service.name,
                "desired": desired,
                "running": running,
                "runningPrimary": sum(1 for t in new if t.last_status == "RUNNING"),
                "healthy": sum(1 for t in live if t.last_status == "RUNNING" and _counts_healthy(t)),
                "pending": pending,
                "minimumHealthyPercent": conf["minimumHealthyPercent"],
                "maximumPercent": conf["maximumPercent"],
                "primaryTaskDefinition": primary["taskDefinition"],
                "primaryRolloutState": primary["rolloutState"],
                "deployments": len(service.deployments),
            }
        )
        del self.record[: max(0, len(self.record) - MAX_RECORD)]

    # ----- helpers -----------------------------------------------------
    def _event(self, service: Any, message: str, force: bool = False) -> None:
        last_message, last_tick = getattr(service, "_sb_last_event", ("", -(10**9)))
        if not force and message == last_message and self.tick_no - last_tick < EVENT_REPEAT_TICKS:
            return
        service._sb_last_event = (message, self.tick_no)
        service.events.insert(0, {"id": self._new_uuid(), "createdAt": utcnow(), "message": message})
        del service.events[MAX_EVENTS:]


def _existing_backends() -> list[Any]:
    """The ECS backends moto has created so far (never creates new ones)."""
    found = []
    for account_id in list(ecs_backends.keys()):
        regions = ecs_backends[account_id]
        for region in list(regions.keys()):
            found.append(regions[region])
    return found
