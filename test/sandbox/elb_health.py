"""Task health as ECS counts it, for the sandbox's scheduler: load balancer targets and container health checks.

ECS counts a task toward minimumHealthyPercent only when it is healthy
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html):
with a load balancer, when the target group reports its target healthy (and, with a container health check,
when that is HEALTHY too); without one, when its essential containers' health checks are HEALTHY, or 40 s
after RUNNING when none has a health check.

What this models, on moto's own objects:

* Targets. A RUNNING task of a service with ``loadBalancers`` is registered in each target group: an awsvpc task
  by its own address at the container port (``ip`` target groups); a bridge or host task on a container instance
  by that instance's EC2 id at the host port ECS bound (``instance`` target groups). A ``hostPort`` of 0 in bridge
  mode is a dynamic port from the ephemeral range 32768-61000, one per task on an instance
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PortMapping.html); DescribeTasks reports it in
  the container's ``networkBindings``. A target is its id *and* port, so one instance holds several targets
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetDescription.html; moto keys
  them by id alone, patched below). It is ``initial``, then
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
        # (target group arn, target id, port) -> {"state", "since", "port", "task"}
        self.targets: dict[tuple[str, str, int], dict[str, Any]] = {}
        # container instance arn -> host ports in use by dynamic bindings
        self.dynamic_ports: dict[str, set[int]] = {}

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
        self.bind_ports(backend, task, task_def)
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
            target = _target_of(task, group)
            entry = None if target is None else self.targets.get((group["targetGroupArn"], *target))
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
        tg = _target_group(group["targetGroupArn"])
        target = _target_of(task, group, tg)
        if target is None or tg is None:
            return False
        address, port = target
        key = (tg.arn, address, port)
        entry = self.targets.get(key)
        if entry is None:
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
                    self._release_port(task, entry["port"])

    def health_of(self, target_group_arn: str, target_id: str, port: int) -> str | None:
        entry = self.targets.get((target_group_arn, target_id, port))
        return None if entry is None else entry["state"]

    def bind_ports(self, backend: Any, task: Any, task_def: Any) -> None:
        """ECS binds host ports when a bridge or host task starts; DescribeTasks shows them as networkBindings."""
        if getattr(task, "_sb_bound", False) or not task.container_instance_arn:
            return
        task._sb_bound = True
        mode = getattr(task_def, "network_mode", None) or "bridge"
        if mode not in ("bridge", "host"):
            return
        used = self.dynamic_ports.setdefault(task.container_instance_arn, set())
        by_name = {getattr(c, "name", None): c for c in task.containers}
        for definition in task_def.container_definitions:
            bindings = []
            for mapping in definition.get("portMappings") or []:
                container_port = int(mapping.get("containerPort") or 0)
                host_port = container_port if mode == "host" else int(mapping.get("hostPort") or 0)
                if host_port == 0:
                    host_port = next(port for port in range(32768, 61001) if port not in used)
                    used.add(host_port)
                bindings.append({"bindIP": "0.0.0.0", "containerPort": container_port, "hostPort": host_port,
                                 "protocol": mapping.get("protocol", "tcp")})
            container = by_name.get(definition.get("name")) or (task.containers[0] if len(task.containers) == 1 else None)
            if container is not None and bindings:
                container.network_bindings = bindings
                container._sb_container_name = definition.get("name")

    def _release_port(self, task: Any, port: int) -> None:
        ports = self.dynamic_ports.get(getattr(task, "container_instance_arn", None) or "")
        if ports is not None:
            ports.discard(port)


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
    from moto.ecs.models import EC2ContainerServiceBackend

    # A hostPort of 0 (or none) in bridge mode asks for a dynamic port, which never conflicts; moto reserves "0"
    # as if it were a fixed port, so a second such task never fits on an instance. Only fixed host ports are
    # resources to place by (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PortMapping.html).
    calculate = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def requirements(task_definition: Any) -> dict[str, Any]:
        needed = calculate(task_definition)
        needed["PORTS"] = [port for port in needed["PORTS"] if str(port) not in ("0", "None")]
        return needed

    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(requirements)  # type: ignore[method-assign]
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

    # A target is its id and port: one EC2 instance behind an `instance` target group holds a target per task.
    def register(self: Any, targets: list[dict[str, Any]]) -> None:
        for target in targets:
            port = target.get("Port", self.port)
            self.targets[f"{target['Id']}@{port}"] = {"Id": target["Id"], "Port": port}
            self.deregistered_targets.pop(f"{target['Id']}@{port}", None)

    def deregister(self: Any, targets: list[dict[str, Any]]) -> None:
        from moto.elbv2.exceptions import InvalidTargetError

        for target in targets:
            key = f"{target['Id']}@{target.get('Port', self.port)}"
            found = self.targets.pop(key, None)
            if not found:
                raise InvalidTargetError()
            self.deregistered_targets[key] = found

    FakeTargetGroup.register = register  # type: ignore[method-assign]
    FakeTargetGroup.deregister = deregister  # type: ignore[method-assign]

    def health_for(self: Any, target: dict[str, Any], ec2_backend: Any) -> Any:
        port = int(target.get("Port") or self.port or 0)
        state = HEALTH.health_of(self.arn, target["Id"], port)
        if state is None:
            return original(self, target, ec2_backend)
        entry = HEALTH.targets[(self.arn, target["Id"], port)]
        reason, description = entry["reason"] if state == "unhealthy" else REASONS.get(state, (None, None))
        port = entry["port"]
        return FakeHealthStatus(target["Id"], str(port), self.health_check_port, state, reason, description)

    FakeTargetGroup.health_for = health_for  # type: ignore[method-assign]


def _target_of(task: Any, group: dict[str, Any], tg: Any | None = None) -> tuple[str, int] | None:
    """The (id, port) a task is registered as: its ENI address at the container port, or its instance and host port."""
    address = _task_address(task)
    if address is not None:
        tg = tg if tg is not None else _target_group(group["targetGroupArn"])
        return address, int(group.get("containerPort") or (tg.port if tg is not None else 0) or 80)
    if not getattr(task, "container_instance_arn", None):
        return None
    instance_id = _ec2_instance_id(task)
    for container in task.containers:
        if group.get("containerName") not in (None, getattr(container, "_sb_container_name", None), getattr(container, "name", None)):
            continue
        for binding in getattr(container, "network_bindings", None) or []:
            if group.get("containerPort") in (None, binding["containerPort"]):
                return (instance_id, int(binding["hostPort"])) if instance_id else None
    return None


def _ec2_instance_id(task: Any) -> str | None:
    from moto.ecs.models import ecs_backends

    for account in list(ecs_backends.keys()):
        for region in list(ecs_backends[account].keys()):
            instances = ecs_backends[account][region].container_instances.get(task.cluster_name, {})
            instance = instances.get(task.container_instance_arn.split("/")[-1])
            if instance is not None:
                return instance.ec2_instance_id
    return None


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
