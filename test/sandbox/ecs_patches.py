"""moto patches that make ECS's own API answer as ECS documents: CreateService keeping deploymentConfiguration,
UpdateService starting deployments through the scheduler, ListTasks' serviceName filter and default
desiredStatus RUNNING, StopTask of a stopped task, and DescribeTaskDefinition(family) answering with the
newest ACTIVE revision. sandbox.py installs them once at start-up.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from elb_health import install_patch as install_elb_health_patch
from scheduler import Scheduler, default_deployment_configuration


def install_patches(scheduler: Scheduler) -> None:
    install_elb_health_patch()
    original_create = EC2ContainerServiceResponse.create_service

    def create_service(self: EC2ContainerServiceResponse) -> Any:
        result = original_create(self)
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
        scheduler.on_service_created(
            service, self._get_param("deploymentConfiguration"), self._get_param("launchType")
        )
        # moto keeps no health check grace period; elb_health.py reads it to decide when ECS acts on a failed target.
        service._sb_health_check_grace = self._get_param("healthCheckGracePeriodSeconds")
        return result

    EC2ContainerServiceResponse.create_service = create_service  # type: ignore[method-assign]

    original_update = EC2ContainerServiceBackend.update_service

    def update_service(self: EC2ContainerServiceBackend, props: dict[str, Any]) -> Any:
        service = self._get_service(props.get("cluster", "default"), props["service"].split("/")[-1])
        old_task_definition = service.task_definition
        old_conf = copy.deepcopy(getattr(service, "deployment_configuration", None))
        counts = (service.running_count, service.pending_count)
        force = bool(props.pop("force_new_deployment", False))  # moto would just rename deployments[0]
        new_conf = props.pop("deployment_configuration", None)
        result = original_update(self, props)
        service.running_count, service.pending_count = counts  # moto sets running = desired
        if service.task_definition and service.task_definition != old_task_definition:
            service.task_definition = self.describe_task_definition(service.task_definition).arn
        if new_conf is not None:
            merged = default_deployment_configuration(old_conf)
            merged.update({k: v for k, v in new_conf.items() if v is not None})
            service.deployment_configuration = merged
        scheduler.on_service_updated(service, old_task_definition, force)
        return result

    EC2ContainerServiceBackend.update_service = update_service  # type: ignore[method-assign]

    original_list_tasks = EC2ContainerServiceBackend.list_tasks

    def list_tasks(self: EC2ContainerServiceBackend, cluster_str: Any = None, container_instance: Any = None,
                   family: Any = None, started_by: Any = None, service_name: Any = None,
                   desiredStatus: Any = None) -> Any:
        # ECS: "The default status filter is RUNNING"
        tasks = original_list_tasks(self, cluster_str, container_instance, family, started_by, None,
                                    desiredStatus or "RUNNING")
        if service_name:
            group = "service:" + service_name.split("/")[-1]
            tasks = [t for t in tasks if t.group == group]
        return tasks

    EC2ContainerServiceBackend.list_tasks = list_tasks  # type: ignore[method-assign]

    original_stop_task = EC2ContainerServiceBackend.stop_task

    def stop_task(self: EC2ContainerServiceBackend, cluster_str: str, task_str: str, reason: str) -> Any:
        # moto would release the task's container-instance resources a second time
        cluster = self._get_cluster(cluster_str)
        for arn, task in self.tasks.get(cluster.name, {}).items():
            if arn.endswith(task_str.split("/")[-1]) and task.last_status == "STOPPED":
                return task
        task = original_stop_task(self, cluster_str, task_str, reason)
        task.stopped_reason = reason or "Task stopped by user"
        return task

    EC2ContainerServiceBackend.stop_task = stop_task  # type: ignore[method-assign]

    original_describe_task_definition = EC2ContainerServiceBackend.describe_task_definition

    def describe_task_definition(self: EC2ContainerServiceBackend, task_definition_str: str) -> Any:
        # ECS: a bare family names "the latest ACTIVE revision in that family" (moto takes the highest of
        # any status); https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html
        name = task_definition_str.split("/")[-1]
        if ":" not in name:
            active = [revision for revision, definition in self.task_definitions.get(name, {}).items()
                      if definition.status == "ACTIVE"]
            if active:
                name = f"{name}:{max(active)}"
            else:
                name = f"{name}:0"  # no such revision: moto answers ClientException, as ECS does
        return original_describe_task_definition(self, name)

    EC2ContainerServiceBackend.describe_task_definition = describe_task_definition  # type: ignore[method-assign]
