"""Starting, placing and stopping a service's tasks, for scheduler.py's Scheduler.

Placement charges a container instance's remainingResources when a task starts (and writes ECS's
placement-failure event when none fits); stopping releases them; stopped tasks are kept up to a limit
per cluster. See scheduler.py's notes for what is modelled.
"""

from __future__ import annotations

from typing import Any

from moto.core.utils import utcnow
from moto.ecs.models import Task

import failure_modes
import registry_digests

MAX_STOPPED_PER_CLUSTER = 500


class TaskLifecycle:
    """Mixed into Scheduler, which provides the tick counter and the throttled service events."""

    tick_no: int

    def _event(self, service: Any, message: str, force: bool = False) -> None:
        raise NotImplementedError

    # ----- placement ---------------------------------------------------
    def _needs_instance(self, backend: Any, service: Any) -> bool:
        launch_type = getattr(service, "_sb_launch_type", service.launch_type)
        if launch_type in ("FARGATE", "EXTERNAL"):
            return False
        if launch_type == "EC2":
            return True
        return bool(backend.container_instances.get(service.cluster_name))

    @staticmethod
    def _requirements(backend: Any, task_def: Any) -> dict[str, Any]:
        req = backend._calculate_task_resource_requirements(task_def)
        req["MEMORY"] = req.get("MEMORY") or 0
        if task_def.cpu:
            req["CPU"] = int(task_def.cpu)
        if task_def.memory:
            req["MEMORY"] = int(task_def.memory)
        return req

    def _start(self, backend: Any, service: Any, deployment: dict[str, Any]) -> Any | None:
        task_def = backend.describe_task_definition(deployment["taskDefinition"])
        req = self._requirements(backend, task_def)
        instance = None
        if self._needs_instance(backend, service):
            instances = [
                ci
                for ci in backend.container_instances.get(service.cluster_name, {}).values()
                if ci.status == "ACTIVE"
            ]
            instance = next((ci for ci in instances if backend._can_be_placed(ci, req)), None)
            if instance is None:
                self._event(service, self._placement_message(service, instances, req))
                return None
        cluster = backend.clusters[service.cluster_name]
        network = service.network_configuration or None
        task = Task(
            cluster,
            task_def,
            instance.container_instance_arn if instance else None,
            req,
            backend=backend,
            group=f"service:{service.name}",
            launch_type="EC2" if instance else ("FARGATE" if getattr(service, "_sb_launch_type", None) == "FARGATE" else (service.launch_type or "")),
            started_by=deployment["id"],
            tags=list(service.tags) if service.propagate_tags == "SERVICE" else [],
            networking_configuration=network if task_def.network_mode == "awsvpc" else None,
            platform_version=service.platform_version,
        )
        task.last_status = "PENDING"
        task.desired_status = "RUNNING"
        task._sb_tick = self.tick_no
        failure_modes.on_task_created(task, task_def)
        registry_digests.on_task_created(task)
        task._sb_broken = failure_modes.is_failing(task)
        task.created_at = utcnow()
        if instance is not None:
            backend.update_container_instance_resources(instance, req)
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        return task

    @staticmethod
    def _placement_message(service: Any, instances: list[Any], req: dict[str, Any]) -> str:
        head = f"(service {service.name}) was unable to place a task because no container instance met all of its requirements."
        if not instances:
            return head + " Reason: No Container Instances were found in your cluster."

        def remaining(ci: Any, name: str) -> int:
            return next((r.get("integerValue", 0) for r in ci.remaining_resources if r.get("name") == name), 0)

        closest = max(instances, key=lambda ci: (remaining(ci, "CPU"), remaining(ci, "MEMORY")))
        if req["CPU"] > remaining(closest, "CPU"):
            why = "has insufficient CPU units available"
        elif req["MEMORY"] > remaining(closest, "MEMORY"):
            why = "has insufficient memory available"
        else:
            why = "is already using a port required by your task"
        return (
            f"{head} The closest matching (container-instance {closest.id}) {why}."
            " For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
        )

    # ----- stopping and tidying ------------------------------------------
    @staticmethod
    def _stop(backend: Any, task: Any, reason: str, stop_code: str = "ServiceSchedulerInitiated") -> None:
        if task.container_instance_arn and task.resource_requirements:
            instance = backend.container_instances.get(task.cluster_name, {}).get(
                task.container_instance_arn.split("/")[-1]
            )
            if instance is not None:
                backend.update_container_instance_resources(instance, task.resource_requirements, removing=True)
        task.last_status = "STOPPED"
        task.desired_status = "STOPPED"
        task.stopped_reason = reason
        task.stop_code = stop_code
        task.stopped_at = utcnow()
        for c in task.containers:
            c.last_status = "STOPPED"

    @staticmethod
    def _tidy_cluster(backend: Any, cluster_name: str) -> None:
        tasks = backend.tasks.get(cluster_name, {})
        stopped = [arn for arn, t in tasks.items() if t.last_status == "STOPPED"]
        for arn in stopped[: max(0, len(stopped) - MAX_STOPPED_PER_CLUSTER)]:
            del tasks[arn]
        cluster = backend.clusters[cluster_name]
        cluster.running_tasks_count = sum(1 for t in tasks.values() if t.last_status == "RUNNING")
        cluster.pending_tasks_count = sum(1 for t in tasks.values() if t.last_status == "PENDING")
        cluster.active_services_count = sum(
            1 for s in backend.services.values() if s.cluster_name == cluster_name and s.status == "ACTIVE"
        )
