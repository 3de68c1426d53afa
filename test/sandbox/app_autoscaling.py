"""Application Auto Scaling's hold on an ECS service's desired count, which moto only stores.

"Anytime a scaling policy is invoked or the RegisterScalableTarget API is called, Application Auto
Scaling retrieves the current capacity and compares it to the minimum and maximum capacity. If it falls
outside of the minimum-maximum range, then the capacity is updated to comply with the set minimum and
maximum." (https://docs.aws.amazon.com/autoscaling/application/userguide/getting-started.html; for an
inactive resource RegisterScalableTarget changes nothing:
https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html)

So here RegisterScalableTarget for ``ecs:service:DesiredCount`` moves an ACTIVE service's desired count
into MinCapacity..MaxCapacity, as AAS does, and the scheduler starts or stops tasks to match. moto's
DescribeScalableTargets (filters by ResourceIds and ScalableDimension) is used as it is. Scaling
policies' own evaluation is not modelled: no metric ever drives them here.
"""

from __future__ import annotations

from typing import Any

from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

ECS_DESIRED_COUNT = "ecs:service:DesiredCount"


def install() -> None:
    original = ApplicationAutoscalingBackend.register_scalable_target

    def register_scalable_target(self: ApplicationAutoscalingBackend, namespace: str, r_id: str, dimension: str,
                                 min_capacity: Any, max_capacity: Any, *args: Any, **kwargs: Any) -> Any:
        target = original(self, namespace, r_id, dimension, min_capacity, max_capacity, *args, **kwargs)
        if namespace == "ecs" and dimension == ECS_DESIRED_COUNT:
            _, cluster, name = r_id.split("/")
            services, _ = self.ecs_backend.describe_services(cluster, [name])
            service = services[0] if services else None
            if service is not None and service.status == "ACTIVE":
                low, high = int(target.min_capacity), int(target.max_capacity)
                wanted = min(max(int(service.desired_count), low), high)
                if wanted != service.desired_count:
                    # Through UpdateService, as AAS itself changes the count, so the scheduler follows.
                    self.ecs_backend.update_service({"cluster": cluster, "service": name, "desired_count": wanted})
        return target

    ApplicationAutoscalingBackend.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
