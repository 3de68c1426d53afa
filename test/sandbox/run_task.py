"""One-off tasks (RunTask) in the sandbox, run as Amazon ECS runs them.

moto's RunTask creates a task that is RUNNING at once, never exits, has one
container whatever the task definition says, ignores overrides and returns no
``failures``. This module replaces it for the sandbox:

* RunTask (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html)
  checks its input as ECS does (launchType and capacityProviderStrategy are
  exclusive; an awsvpc task definition needs networkConfiguration, whose
  subnets must exist: an unknown one is an InvalidParameterException naming
  it), keeps ``startedBy``, ``group`` and ``tags`` (plus the task definition's
  with ``propagateTags: TASK_DEFINITION``; ``SERVICE`` is refused) and the
  container overrides. A task that needs EC2 capacity (launchType EC2, or no
  launch type on a cluster with container instances) is placed on an ACTIVE
  instance with room; when none has room there is no task and a ``failures``
  entry with reason ``RESOURCE:CPU`` or ``RESOURCE:MEMORY``, as ECS answers
  (https://docs.aws.amazon.com/AmazonECS/latest/userguide/api_failures_messages.html).
  launchType EC2 on a cluster without container instances is refused with
  "No Container Instances were found in your cluster."
* Each scheduler tick moves a task on: PROVISIONING -> PENDING -> RUNNING ->
  STOPPED. When an essential container exits, the task stops with stopCode
  ``EssentialContainerExited`` and stoppedReason "Essential container in task
  exited"; each container has its ``exitCode``
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html).
  A container image whose tag starts with ``broken`` cannot be pulled: the
  task stops from PENDING with stopCode ``TaskFailedToStart`` and no exit codes.
* StopTask on a running one-off task: stopCode ``UserInitiated``, the given
  reason, and exit code 143 (SIGTERM) for the containers still running.

The command convention: words of a container's command (after overrides) of
the form ``sandbox-exit=N`` (exit code, default 0), ``sandbox-seconds=S``
(seconds of wall-clock time the container runs after the task is RUNNING,
default 0) and ``sandbox-log=TEXT`` (a line it writes; repeatable). A
container with none of them exits 0 when the first container that has them
exits (or at once when none has). Lines go to the container's awslogs stream
``PREFIX/CONTAINER/TASK-ID`` in moto's CloudWatch Logs (the group is made if
missing) as the container writes them: at start, except the last line, which
is written when it exits.
"""

from __future__ import annotations

import time
from typing import Any

from moto.core.utils import utcnow
from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.logs.models import logs_backends
from moto.core.responses import ActionResult

SIGTERM_EXIT = 143


class RunContainer:
    """A task's container as DescribeTasks shows it (moto keeps one per task, without exit codes)."""

    def __init__(self, task_arn: str, definition: dict[str, Any], command: list[str]) -> None:
        self.container_arn = task_arn.replace(":task/", ":container/") + "/" + str(definition.get("name"))
        self.task_arn = task_arn
        self.name = definition.get("name")
        self.image = definition.get("image")
        self.last_status = "PENDING"
        self.exit_code: int | None = None
        self.reason: str | None = None
        self.essential = definition.get("essential", True) is not False
        self.command = command
        words = [w for w in command if isinstance(w, str)]
        self.scripted = any(w.startswith(("sandbox-exit=", "sandbox-seconds=", "sandbox-log=")) for w in words)
        self.exit_with = next((int(w.split("=", 1)[1]) for w in words if w.startswith("sandbox-exit=")), 0)
        self.run_seconds = next((float(w.split("=", 1)[1]) for w in words if w.startswith("sandbox-seconds=")), 0.0)
        self.log_lines = [w.split("=", 1)[1] for w in words if w.startswith("sandbox-log=")]
        options = (definition.get("logConfiguration") or {}).get("options") or {}
        awslogs = (definition.get("logConfiguration") or {}).get("logDriver") == "awslogs"
        self.log_group = options.get("awslogs-group") if awslogs else None
        self.log_prefix = options.get("awslogs-stream-prefix") if awslogs else None


class RunTasks:
    """The one-off tasks this sandbox started, by task ARN, with the state moto does not keep."""

    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        self.tasks = {}

    # ----- RunTask -----------------------------------------------------
    def run(self, backend: EC2ContainerServiceBackend, params: dict[str, Any]) -> dict[str, Any]:
        launch_type = params.get("launchType")
        strategy = params.get("capacityProviderStrategy")
        if launch_type and strategy:
            raise InvalidParameterException("Specifying both a launch type and capacity provider strategy is not supported.")
        if params.get("propagateTags") == "SERVICE":
            raise InvalidParameterException("The SERVICE option for propagateTags is not supported when running a task.")
        cluster = backend._get_cluster(params.get("cluster") or "default")
        task_def = backend.describe_task_definition(params["taskDefinition"])
        network = params.get("networkConfiguration")
        if network and network.get("awsvpcConfiguration"):
            # moto's Task reads securityGroups unconditionally; ECS lets the VPC's default group stand in.
            network = {**network, "awsvpcConfiguration": {"securityGroups": [], **network["awsvpcConfiguration"]}}
        if task_def.network_mode == "awsvpc":
            subnets = ((network or {}).get("awsvpcConfiguration") or {}).get("subnets") or []
            if not subnets:
                raise InvalidParameterException("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
            ec2 = ec2_backends[backend.account_id][backend.region_name]
            for subnet in subnets:
                try:
                    ec2.get_subnet(subnet)
                except Exception:
                    raise InvalidParameterException(
                        f"Error retrieving subnet information for [{subnet}]: The subnet ID '{subnet}' does not exist "
                        "(Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound)"
                    )
        fargate = launch_type == "FARGATE" or any(
            (item.get("capacityProvider") or "").startswith("FARGATE") for item in strategy or []
        )
        instances = [ci for ci in backend.container_instances.get(cluster.name, {}).values() if ci.status == "ACTIVE"]
        requirements = backend._calculate_task_resource_requirements(task_def)
        instance = None
        if not fargate and (launch_type == "EC2" or instances):
            if not instances:
                raise InvalidParameterException("No Container Instances were found in your cluster.")
            instance = next((ci for ci in instances if backend._can_be_placed(ci, requirements)), None)
            if instance is None:
                closest = instances[0]
                cpu_left = next((r.get("integerValue", 0) for r in closest.remaining_resources if r.get("name") == "CPU"), 0)
                reason = "RESOURCE:CPU" if requirements["CPU"] > cpu_left else "RESOURCE:MEMORY"
                return {"tasks": [], "failures": [{"arn": closest.container_instance_arn, "reason": reason}]}

        tags = list(params.get("tags") or [])
        if params.get("propagateTags") == "TASK_DEFINITION":
            tags += [tag for tag in (task_def.tags or []) if tag.get("key") not in {t.get("key") for t in tags}]
        overrides = params.get("overrides") or {}
        task = Task(
            cluster,
            task_def,
            instance.container_instance_arn if instance else None,
            requirements,
            backend=backend,
            group=params.get("group") or f"family:{task_def.family}",
            launch_type="EC2" if instance else (launch_type or ("FARGATE" if fargate else "")),
            overrides=overrides,
            started_by=params.get("startedBy") or "",
            tags=tags,
            networking_configuration=network if task_def.network_mode == "awsvpc" else None,
            platform_version=params.get("platformVersion"),
        )
        by_name = {o.get("name"): o for o in overrides.get("containerOverrides") or []}
        task.containers = [
            RunContainer(task.task_arn, definition, list((by_name.get(definition.get("name")) or {}).get("command") or definition.get("command") or []))
            for definition in task_def.container_definitions
        ]
        task.last_status = "PROVISIONING"
        task.desired_status = "RUNNING"
        task.created_at = utcnow()
        task.stop_code = None
        if instance is not None:
            backend.update_container_instance_resources(instance, requirements)
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        self.tasks[task.task_arn] = {"task": task, "backend": backend, "running_since": None}
        return {"tasks": [task], "failures": []}

    # ----- the tick ----------------------------------------------------
    def tick(self) -> None:
        now = time.time()
        for entry in list(self.tasks.values()):
            task = entry["task"]
            if task.last_status == "STOPPED":
                continue
            if task.last_status == "PROVISIONING":
                task.last_status = "PENDING"
                task.pull_started_at = utcnow()
            elif task.last_status == "PENDING":
                broken = next((c for c in task.containers if _broken(c.image)), None)
                if broken is not None:
                    reason = f"CannotPullContainerError: pull image manifest has been retried 5 time(s): {broken.image}: not found"
                    for container in task.containers:
                        container.reason = reason
                    self._stop(entry, "TaskFailedToStart", reason, exit_code=None)
                    continue
                task.last_status = "RUNNING"
                task.started_at = utcnow()
                entry["running_since"] = now
                for container in task.containers:
                    container.last_status = "RUNNING"
                    for line in container.log_lines[:-1]:
                        self._write_log(entry, container, line)
            elif task.last_status == "RUNNING":
                self._advance(entry, now)

    def _advance(self, entry: dict[str, Any], now: float) -> None:
        task = entry["task"]
        scripted = [c for c in task.containers if c.scripted]
        done = [c for c in scripted if c.last_status == "RUNNING" and now - entry["running_since"] >= c.run_seconds]
        for container in done:
            self._exit(entry, container, container.exit_with)
        if not scripted or any(c.essential and c.last_status == "STOPPED" for c in scripted):
            # An essential container exited: ECS stops the task and with it every other container.
            for container in task.containers:
                if container.last_status != "STOPPED":
                    self._exit(entry, container, 0 if not container.scripted else SIGTERM_EXIT)
            self._stop(entry, "EssentialContainerExited", "Essential container in task exited", exit_code=0)

    def _exit(self, entry: dict[str, Any], container: RunContainer, code: int) -> None:
        if container.log_lines:
            self._write_log(entry, container, container.log_lines[-1])
        container.exit_code = code
        container.last_status = "STOPPED"

    def _stop(self, entry: dict[str, Any], stop_code: str, reason: str, exit_code: int | None) -> None:
        task, backend = entry["task"], entry["backend"]
        if task.container_instance_arn and task.resource_requirements:
            instance = backend.container_instances.get(task.cluster_name, {}).get(task.container_instance_arn.split("/")[-1])
            if instance is not None:
                backend.update_container_instance_resources(instance, task.resource_requirements, removing=True)
        for container in task.containers:
            if container.last_status != "STOPPED":
                container.exit_code = exit_code
                container.last_status = "STOPPED"
        task.last_status = "STOPPED"
        task.desired_status = "STOPPED"
        task.stop_code = stop_code
        task.stopped_reason = reason
        task.stopping_at = task.stopped_at = task.execution_stopped_at = utcnow()

    def stop(self, task_arn: str, reason: str) -> bool:
        """StopTask on a one-off task; False when the task is not one of these."""
        entry = next((e for arn, e in self.tasks.items() if arn.endswith("/" + task_arn.split("/")[-1])), None)
        if entry is None:
            return False
        if entry["task"].last_status != "STOPPED":
            for container in entry["task"].containers:
                if container.last_status == "RUNNING":
                    self._exit(entry, container, SIGTERM_EXIT)
            self._stop(entry, "UserInitiated", reason or "Task stopped by user", exit_code=None)
        return True

    @staticmethod
    def _write_log(entry: dict[str, Any], container: RunContainer, line: str) -> None:
        if not container.log_group or not container.log_prefix:
            return
        task = entry["task"]
        backend = logs_backends[task._account_id][task.region_name]
        if container.log_group not in backend.groups:
            backend.create_log_group(container.log_group, {})
        stream = f"{container.log_prefix}/{container.name}/{task.id}"
        if stream not in backend.groups[container.log_group].streams:
            backend.create_log_stream(container.log_group, stream)
        backend.put_log_events(container.log_group, stream, [{"timestamp": int(time.time() * 1000), "message": line}])


def _broken(image: str | None) -> bool:
    last = (image or "").rsplit("/", 1)[-1]
    return "@" not in last and ":" in last and last.split(":", 1)[1].startswith("broken")


RUN_TASKS = RunTasks()


def install(scheduler: Any) -> None:
    """Routes RunTask here and lets the scheduler's ticks (and its reset) move these tasks too."""
    # moto's awsvpc task attachment reads an ENI field its NetworkInterface lacks, so no awsvpc task
    # (one-off or a service's) could start; ECS names it after the private IP, as EC2 does.
    if not hasattr(NetworkInterface, "private_dns_name"):
        def get_name(self: Any) -> str:
            return getattr(self, "_sb_private_dns_name", None) or f"ip-{(self.private_ip_address or '0.0.0.0').replace('.', '-')}.ec2.internal"

        def set_name(self: Any, value: str) -> None:
            self._sb_private_dns_name = value

        NetworkInterface.private_dns_name = property(get_name, set_name)  # type: ignore[attr-defined]

    def run_task(self: EC2ContainerServiceResponse) -> ActionResult:
        params = {key: self._get_param(key) for key in (
            "cluster", "taskDefinition", "launchType", "capacityProviderStrategy", "networkConfiguration",
            "platformVersion", "startedBy", "group", "tags", "propagateTags", "overrides",
        )}
        return ActionResult(RUN_TASKS.run(self.ecs_backend, params))

    EC2ContainerServiceResponse.run_task = run_task  # type: ignore[method-assign]

    original_stop = EC2ContainerServiceBackend.stop_task

    def stop_task(self: EC2ContainerServiceBackend, cluster_str: str, task_str: str, reason: str) -> Any:
        if RUN_TASKS.stop(task_str, reason):
            cluster = self._get_cluster(cluster_str)
            return next(t for arn, t in self.tasks[cluster.name].items() if arn.endswith("/" + task_str.split("/")[-1]))
        return original_stop(self, cluster_str, task_str, reason)

    EC2ContainerServiceBackend.stop_task = stop_task  # type: ignore[method-assign]

    scheduler_type = type(scheduler)
    original_tick = scheduler_type.tick
    original_reset = scheduler_type.reset

    def tick(self: Any) -> None:
        original_tick(self)
        RUN_TASKS.tick()

    def reset(self: Any) -> None:
        original_reset(self)
        RUN_TASKS.reset()

    scheduler_type.tick = tick  # type: ignore[method-assign]
    scheduler_type.reset = reset  # type: ignore[method-assign]
