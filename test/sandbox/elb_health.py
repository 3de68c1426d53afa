"""Task health as ECS counts it, for the sandbox's scheduler: load balancer targets and container health checks.

ECS counts a task toward minimumHealthyPercent only when it is healthy
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html):
with a load balancer, when the target group reports its target healthy (and, with a container health check,
when that is HEALTHY too); without one, when its essential containers' health checks are HEALTHY, or 40 s
after RUNNING when none has a health check.

What this models, on moto's own objects:

* Targets. A RUNNING task of a service with ``loadBalancers`` (target groups of type ``ip``; the task's awsvpc
  address is the target id) is registered in each target group at the container port. It is ``initial``, then
  ``healthy`` after HealthyThresholdCount x HealthCheckIntervalSeconds
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
  A task whose image tag starts with ``unhealthy`` turns ``unhealthy`` after UnhealthyThresholdCount x interval
  and stays so (reason ``Target.FailedHealthChecks``). A ``fail-health`` task (failure_modes.py) turns
  ``unhealthy`` the same way, with reason ``Target.ResponseCodeMismatch`` and "Health checks failed with these
  codes: [500]" (reason codes: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html);
  once the service's ``healthCheckGracePeriodSeconds`` (from CreateService) has passed since the task started,
  ECS stops it ("Task failed ELB health checks in (target-group ARN)") and writes the event
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-unhealthy-event-messages.html). A stopped task's target is ``draining`` for the target group's deregistration delay
  (``deregistration_delay.timeout_seconds``, default 300), then deregistered. DescribeTargetHealth answers these
  states (moto's own answer is patched).
* Container health checks. A task whose essential container has a ``healthCheck`` reports ``healthStatus``
  UNKNOWN, then HEALTHY once the check's startPeriod (at least one interval) has passed; ``unhealthy`` images
  report UNHEALTHY after startPeriod + retries x interval. A task without a check reports UNKNOWN.
* The 40 s grace. Because the sandbox compresses time, a task's ``startedAt`` is set 40 x (1 - ecsTimeFactor) s in
  the past when it starts RUNNING, so a client that waits for "40 s after startedAt" waits 40 x ecsTimeFactor s.

All waits are multiplied by ``ecsTimeFactor`` (real seconds per ECS second; 0 = at the next tick, the default, so
services without these features behave as before). The scheduler reads ``task._sb_counts_healthy``.
"""

from __future__ import annotations

import datetime
from typing import Any

from moto.core.utils import utcnow

from failure_modes import Failure

GRACE_SECONDS = 40.0
DEFAULT_DEREGISTRATION_DELAY = 300.0


def image_fails_health_checks(image: str | None) -> bool:
    last = (image or "").rsplit("/", 1)[-1]
    return "@" not in last and ":" in last and last.split(":", 1)[1].startswith("unhealthy")


class ElbHealth:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.time_factor = 0.0
        # (target group arn, target id) -> {"state", "since", "port", "task"}
        self.targets: dict[tuple[str, str], dict[str, Any]] = {}

    def configure(self, args: dict[str, Any]) -> dict[str, Any]:
        if "ecsTimeFactor" in args:
            self.time_factor = max(0.0, float(args["ecsTimeFactor"]))
        return {}

    def state(self) -> dict[str, Any]:
        return {}

    # ----- the scheduler's hook ------------------------------------------------
    def tick(self, backend: Any, service: Any, tasks: list[Any], now: float) -> None:
        groups = [lb for lb in (getattr(service, "load_balancers", None) or []) if lb.get("targetGroupArn")]
        for task in tasks:
            task._sb_load_balanced = bool(groups)
            self._task(backend, service, task, groups, now)
        self._drain(now)

    def _task(self, backend: Any, service: Any, task: Any, groups: list[dict[str, Any]], now: float) -> None:
        if task.last_status != "RUNNING":
            task._sb_counts_healthy = False
            return
        task_def = backend.describe_task_definition(task.task_definition_arn)
        failing = any(image_fails_health_checks(c.get("image")) for c in task_def.container_definitions)
        if not hasattr(task, "_sb_running_since"):
            task._sb_running_since = now
            # a client's "40 s after startedAt" lasts 40 x ecsTimeFactor real seconds
            task.started_at = utcnow() - datetime.timedelta(seconds=GRACE_SECONDS * (1 - min(1.0, self.time_factor)))
        age = now - task._sb_running_since
        checked = [c for c in task_def.container_definitions if c.get("essential", True) is not False and c.get("healthCheck")]
        container_ok = self._container_health(task, checked, failing, age)
        elb_fails = getattr(task, "_sb_failure", None) == "health"
        targets_ok = all(self._target(task, group, failing or elb_fails, now, elb_fails) for group in groups)
        if elb_fails and groups and getattr(task, "_sb_elb_failure", None) is None:
            self._stop_if_unhealthy(service, task, groups, age)
        if groups:
            counts = targets_ok and container_ok
        elif checked:
            counts = container_ok
        else:
            counts = age >= GRACE_SECONDS * self.time_factor
        task._sb_counts_healthy = bool(counts) and not getattr(task, "_sb_broken", False)

    def _container_health(self, task: Any, checked: list[dict[str, Any]], failing: bool, age: float) -> bool:
        if getattr(task, "_sb_failure", None) is not None:
            # failure_modes.py owns a failing task's health (fail-health turns it UNHEALTHY, then stops it)
            return False
        status = "UNKNOWN"
        if checked:
            check = checked[0]["healthCheck"]
            interval = float(check.get("interval", 30))
            start = max(float(check.get("startPeriod", 0)), interval)
            if failing:
                if age >= (start + float(check.get("retries", 3)) * interval) * self.time_factor:
                    status = "UNHEALTHY"
            elif age >= start * self.time_factor:
                status = "HEALTHY"
        task.health_status = status
        for container in task.containers:
            container.health_status = status
        return status == "HEALTHY" or not checked

    def _stop_if_unhealthy(self, service: Any, task: Any, groups: list[dict[str, Any]], age: float) -> None:
        """ECS acts on an unhealthy target only after the service's health check grace period."""
        grace = float(getattr(service, "_sb_health_check_grace", None) or 0)
        if age < grace * self.time_factor:
            return
        for group in groups:
            entry = self.targets.get((group["targetGroupArn"], _task_address(task) or ""))
            if entry is not None and entry["state"] == "unhealthy":
                arn, description = group["targetGroupArn"], entry["reason"][1]
                task._sb_elb_failure = Failure(
                    "ServiceSchedulerInitiated",
                    f"Task failed ELB health checks in (target-group {arn})",
                    f"(service {service.name}) (task {task.id}) (port {entry['port']}) is unhealthy in "
                    f"(target-group {arn}) due to (reason {description}).",
                )
                return

    def _target(self, task: Any, group: dict[str, Any], failing: bool, now: float, response_code: bool = False) -> bool:
        address = _task_address(task)
        tg = _target_group(group["targetGroupArn"])
        if address is None or tg is None:
            return False
        key = (tg.arn, address)
        entry = self.targets.get(key)
        if entry is None:
            port = int(group.get("containerPort") or tg.port or 80)
            tg.register([{"Id": address, "Port": port}])
            entry = self.targets[key] = {"state": "initial", "since": now, "port": port, "task": task}
            entry["reason"] = UNHEALTHY_RESPONSE_CODE if response_code else REASONS["unhealthy"]
        interval = float(tg.health_check_interval_seconds or 30)
        if entry["state"] == "initial":
            if failing and now - entry["since"] >= int(tg.unhealthy_threshold_count or 2) * interval * self.time_factor:
                entry["state"] = "unhealthy"
            elif not failing and now - entry["since"] >= int(tg.healthy_threshold_count or 5) * interval * self.time_factor:
                entry["state"] = "healthy"
        return entry["state"] == "healthy"

    def _drain(self, now: float) -> None:
        for key, entry in list(self.targets.items()):
            task = entry["task"]
            if entry["state"] != "draining" and (task.last_status == "STOPPED" or task.desired_status == "STOPPED"):
                entry["state"], entry["since"] = "draining", now
            if entry["state"] == "draining":
                tg = _target_group(key[0])
                delay = _deregistration_delay(tg)
                if now - entry["since"] >= delay * self.time_factor:
                    if tg is not None:
                        tg.deregister([{"Id": key[1], "Port": entry["port"]}])
                    del self.targets[key]

    def health_of(self, target_group_arn: str, target_id: str) -> str | None:
        entry = self.targets.get((target_group_arn, target_id))
        return None if entry is None else entry["state"]


HEALTH = ElbHealth()


def counts_healthy(task: Any) -> bool:
    """Would ECS count this task toward minimumHealthyPercent (as ticked above; failing images never)?"""
    return not getattr(task, "_sb_broken", False) and getattr(task, "_sb_counts_healthy", True)

REASONS = {
    "initial": ("Elb.RegistrationInProgress", "Target registration is in progress"),
    "unhealthy": ("Target.FailedHealthChecks", "Health checks failed"),
    "draining": ("Target.DeregistrationInProgress", "Target deregistration is in progress"),
}
# What an HTTP health check that gets a 500 from the new version reports.
UNHEALTHY_RESPONSE_CODE = ("Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")


def install_patch() -> None:
    """DescribeTargetHealth answers the modelled states for targets the sandbox registered."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface
    from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup

    if not hasattr(NetworkInterface, "private_dns_name"):
        # moto's awsvpc Task reads this to describe its ENI attachment; only some code paths set it on the ENI.
        def get_dns(eni: Any) -> str:
            return eni.__dict__.get("_sb_private_dns_name") or f"ip-{str(eni.private_ip_address).replace('.', '-')}.ec2.internal"

        def set_dns(eni: Any, value: str) -> None:
            eni.__dict__["_sb_private_dns_name"] = value

        NetworkInterface.private_dns_name = property(get_dns, set_dns)  # type: ignore[attr-defined]

    original = FakeTargetGroup.health_for

    def health_for(self: Any, target: dict[str, Any], ec2_backend: Any) -> Any:
        state = HEALTH.health_of(self.arn, target["Id"])
        if state is None:
            return original(self, target, ec2_backend)
        entry = HEALTH.targets[(self.arn, target["Id"])]
        reason, description = entry["reason"] if state == "unhealthy" else REASONS.get(state, (None, None))
        port = entry["port"]
        return FakeHealthStatus(target["Id"], str(port), self.health_check_port, state, reason, description)

    FakeTargetGroup.health_for = health_for  # type: ignore[method-assign]


def _task_address(task: Any) -> str | None:
    for attachment in getattr(task, "attachments", None) or []:
        for detail in attachment.get("details", []):
            if detail.get("name") == "privateIPv4Address":
                return detail.get("value")
    return None


def _target_group(arn: str) -> Any | None:
    from moto.elbv2.models import elbv2_backends

    for account in list(elbv2_backends.keys()):
        for region in list(elbv2_backends[account].keys()):
            tg = elbv2_backends[account][region].target_groups.get(arn)
            if tg is not None:
                return tg
    return None


def _deregistration_delay(tg: Any | None) -> float:
    if tg is None:
        return 0.0
    attributes = getattr(tg, "attributes", None) or {}
    try:
        return float(attributes.get("deregistration_delay.timeout_seconds", DEFAULT_DEREGISTRATION_DELAY))
    except (TypeError, ValueError):
        return DEFAULT_DEREGISTRATION_DELAY
