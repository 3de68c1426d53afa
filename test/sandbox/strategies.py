"""ECS-native BLUE_GREEN, LINEAR and CANARY deployments for the sandbox's scheduler.

With the ECS deployment controller, ``deploymentConfiguration.strategy`` picks how a new service revision
replaces the old one (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html).
For BLUE_GREEN, LINEAR and CANARY, ECS runs both revisions side by side and walks lifecycle stages
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html):

  PRE_SCALE_UP -> SCALE_UP (green starts, all desired tasks, beside blue) -> POST_SCALE_UP ->
  TEST_TRAFFIC_SHIFT -> POST_TEST_TRAFFIC_SHIFT -> PRODUCTION_TRAFFIC_SHIFT (BLUE_GREEN: all at once;
  LINEAR: stepPercent per step, stepBakeTimeInMinutes between; CANARY: canaryPercent, canaryBakeTimeInMinutes,
  then the rest) -> POST_PRODUCTION_TRAFFIC_SHIFT -> BAKE_TIME (bakeTimeInMinutes, both sides up) -> CLEAN_UP
  (blue scaled in; the deployment COMPLETED, the service deployment SUCCESSFUL).

Failure, rolled back by ECS: green tasks failing (as many as the circuit breaker's threshold), or a CloudWatch
alarm named in ``deploymentConfiguration.alarms`` (enable) in state ALARM at any stage after scale-up, bake
included (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html).
Green is stopped, the green deployment goes FAILED, blue is PRIMARY again, the service's task definition is
blue's, and the service deployment ends ROLLBACK_SUCCESSFUL. Traffic itself is not modelled (a headless
service, which ECS also allows); lifecycle hooks are stages without Lambda calls.

Waiting times are ECS minutes scaled by ``ecsTimeFactor`` (real seconds per ECS second; 1 = real time, 0 = the
next tick, the default). Green counts as up when elb_health.py says ECS would count its tasks healthy.
ListServiceDeployments / DescribeServiceDeployments are answered here (moto has neither), for every service.
ECS keeps a record of every deployment, including after it has left the service's ``deployments`` list
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html): rolling deployments are
recorded as the scheduler sees them (SUCCESSFUL, ROLLBACK_IN_PROGRESS then ROLLBACK_SUCCESSFUL with the circuit
breaker's reason, STOPPED when replaced before completing). With {"dropFailedDeployments": true} a deployment the
circuit breaker rolled back leaves the service's list at once, as ECS's list does once the rollback is done: a
client that polls DescribeServices then finds it gone and has only the record to ask.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from moto.core.utils import utcnow

STAGED = ("BLUE_GREEN", "LINEAR", "CANARY")
ACCOUNT = "123456789012"
BEFORE_SHIFT = ["PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT"]


class Strategies:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.time_factor = 0.0
        self.drop_failed = False
        # service deployment records, newest last: dicts in the API's shape plus "_service", "_deployment"
        self.records: list[dict[str, Any]] = []
        # rollback deployment id -> the failed deployment id it rolls back (one service deployment in ECS's records)
        self.rollbacks: dict[str, str] = {}

    def configure(self, args: dict[str, Any]) -> dict[str, Any]:
        if "ecsTimeFactor" in args:
            self.time_factor = max(0.0, float(args["ecsTimeFactor"]))
        if "dropFailedDeployments" in args:
            self.drop_failed = bool(args["dropFailedDeployments"])
        return self.state()

    def state(self) -> dict[str, Any]:
        return {"ecsTimeFactor": self.time_factor, "dropFailedDeployments": self.drop_failed}

    # ----- the scheduler's hook ------------------------------------------
    @staticmethod
    def strategy_of(service: Any) -> str:
        return str((getattr(service, "deployment_configuration", None) or {}).get("strategy") or "ROLLING")

    def runs(self, service: Any, primary: dict[str, Any]) -> bool:
        """True while a staged deployment with a blue side is under way: this module drives the tick."""
        if self.strategy_of(service) not in STAGED or primary.get("rolloutState") != "IN_PROGRESS":
            return False
        return len(service.deployments) > 1

    def advance(self, scheduler: Any, backend: Any, service: Any, primary: dict[str, Any], desired: int, now: float) -> None:
        conf = service.deployment_configuration or {}
        record = self._record_for(service, primary)
        stage = record["lifecycleStage"]
        live = scheduler._service_tasks(backend, service)
        green = [t for t in live if t.started_by == primary["id"]]
        blue = [t for t in live if t.started_by != primary["id"]]
        since = record["_stage_since"]

        def go(next_stage: str) -> None:
            record["lifecycleStage"] = next_stage
            record["_stage_since"] = now
            record["updatedAt"] = utcnow()

        from scheduler import breaker_threshold  # the same threshold as rolling deployments

        failure = None
        if primary.get("failedTasks", 0) >= breaker_threshold(desired):
            failure = "tasks failed to start"
        elif stage not in ("PRE_SCALE_UP", "SCALE_UP"):
            alarm = self._alarm_in_alarm(conf)
            if alarm is not None:
                failure = f"alarm {alarm} is in ALARM state"
        if failure is not None:
            self._roll_back(scheduler, backend, service, primary, record, green, failure)
        elif stage == "PRE_SCALE_UP":
            go("SCALE_UP")
        elif stage == "SCALE_UP":
            for _ in range(max(0, desired - len(green))):
                if scheduler._start(backend, service, primary) is None:
                    break
            green = [t for t in scheduler._service_tasks(backend, service) if t.started_by == primary["id"]]
            if len(green) >= desired and all(self._healthy(t) for t in green):
                go("POST_SCALE_UP")
        elif stage in BEFORE_SHIFT:
            go(BEFORE_SHIFT[BEFORE_SHIFT.index(stage) + 1] if stage != BEFORE_SHIFT[-1] else "PRODUCTION_TRAFFIC_SHIFT")
        elif stage == "PRODUCTION_TRAFFIC_SHIFT":
            shifted, wait_minutes, step = self._next_shift(conf, record)
            if now - since >= wait_minutes * 60 * self.time_factor:
                record["_shifted"] = shifted
                record["_stage_since"] = now
                if shifted >= 100:
                    go("POST_PRODUCTION_TRAFFIC_SHIFT")
                else:
                    record["_step"] = step
        elif stage == "POST_PRODUCTION_TRAFFIC_SHIFT":
            go("BAKE_TIME")
        elif stage == "BAKE_TIME":
            bake = float(conf.get("bakeTimeInMinutes") or 0)
            if now - since >= bake * 60 * self.time_factor:
                go("CLEAN_UP")
        elif stage == "CLEAN_UP":
            for task in blue:
                scheduler._stop(backend, task, "Scaling activity initiated by deployment " + primary["id"])
            primary["rolloutState"] = "COMPLETED"
            primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
            primary["updatedAt"] = utcnow()
            service._sb_last_completed = primary["taskDefinition"]
            service.deployments[:] = [primary]
            record["status"] = "SUCCESSFUL"
            record["finishedAt"] = utcnow()
            scheduler._event(service, f"(service {service.name}) (deployment {primary['id']}) deployment completed.", force=True)
            scheduler._event(service, f"(service {service.name}) has reached a steady state.", force=True)
        self._count(scheduler, backend, service, desired, now, record)

    # ----- stages ----------------------------------------------------------
    @staticmethod
    def _healthy(task: Any) -> bool:
        if task.last_status != "RUNNING" or getattr(task, "_sb_broken", False):
            return False
        return getattr(task, "_sb_counts_healthy", True)

    @staticmethod
    def _next_shift(conf: dict[str, Any], record: dict[str, Any]) -> tuple[float, float, int]:
        """(traffic shifted after the next step, ECS minutes to wait before it, step number)."""
        shifted = float(record.get("_shifted", 0))
        step = int(record.get("_step", 0))
        strategy = conf.get("strategy")
        if strategy == "LINEAR":
            linear = conf.get("linearConfiguration") or {}
            percent = float(linear.get("stepPercent") or 10.0)
            wait = 0.0 if shifted == 0 else float(linear.get("stepBakeTimeInMinutes", 6) or 0)
            return min(100.0, shifted + percent), wait, step + 1
        if strategy == "CANARY":
            canary = conf.get("canaryConfiguration") or {}
            if shifted == 0:
                return float(canary.get("canaryPercent") or 5.0), 0.0, 1
            return 100.0, float(canary.get("canaryBakeTimeInMinutes", 10) or 0), 2
        return 100.0, 0.0, 1

    def _roll_back(self, scheduler: Any, backend: Any, service: Any, primary: dict[str, Any], record: dict[str, Any],
                   green: list[Any], reason: str) -> None:
        for task in green:
            scheduler._stop(backend, task, "Deployment rolled back: " + reason)
        primary["rolloutState"] = "FAILED"
        primary["rolloutStateReason"] = f"ECS deployment {primary['id']} rolled back: {reason}."
        primary["status"] = "ACTIVE"
        primary["updatedAt"] = utcnow()
        blue = next((d for d in service.deployments if d is not primary), None)
        if blue is not None:
            blue["status"] = "PRIMARY"
            blue["rolloutState"] = "COMPLETED"
            blue["updatedAt"] = utcnow()
            service.task_definition = blue["taskDefinition"]
        service.deployments[:] = [d for d in service.deployments if d is not primary]
        record["status"] = "ROLLBACK_SUCCESSFUL"
        record["statusReason"] = f"Service deployment rolled back because {reason}."
        record["rollback"] = {"reason": reason, "startedAt": utcnow(), "serviceRevisionArn": record["sourceServiceRevisions"][0]["arn"] if record["sourceServiceRevisions"] else None}
        record["finishedAt"] = utcnow()
        scheduler._event(service, f"(service {service.name}) (deployment {primary['id']}) deployment failed: {reason}.", force=True)
        scheduler._event(service, f"(service {service.name}) rolled back to the previous service revision.", force=True)

    @staticmethod
    def _alarm_in_alarm(conf: dict[str, Any]) -> str | None:
        alarms = conf.get("alarms") or {}
        if not alarms.get("enable") or not alarms.get("alarmNames"):
            return None
        from moto.cloudwatch.models import cloudwatch_backends

        for account in list(cloudwatch_backends.keys()):
            for region in list(cloudwatch_backends[account].keys()):
                backend = cloudwatch_backends[account][region]
                for name in alarms["alarmNames"]:
                    alarm = backend.alarms.get(name)
                    if alarm is not None and alarm.state_value == "ALARM":
                        return name
        return None

    def _count(self, scheduler: Any, backend: Any, service: Any, desired: int, now: float, record: dict[str, Any]) -> None:
        live = scheduler._service_tasks(backend, service)
        for dep in service.deployments:
            mine = [t for t in live if t.started_by == dep["id"]]
            dep["runningCount"] = sum(1 for t in mine if t.last_status == "RUNNING")
            dep["pendingCount"] = sum(1 for t in mine if t.last_status == "PENDING")
            dep["desiredCount"] = desired
        service.running_count = sum(1 for t in live if t.last_status == "RUNNING")
        service.pending_count = sum(1 for t in live if t.last_status == "PENDING")
        primary = next((d for d in service.deployments if d["status"] == "PRIMARY"), service.deployments[0])
        conf = service.deployment_configuration or {}
        scheduler.record.append({
            "t": now, "tick": scheduler.tick_no, "cluster": service.cluster_name, "service": service.name,
            "desired": desired, "running": service.running_count,
            "runningPrimary": sum(1 for t in live if t.started_by == primary["id"] and t.last_status == "RUNNING"),
            "healthy": sum(1 for t in live if self._healthy(t)),
            "pending": service.pending_count,
            "minimumHealthyPercent": conf.get("minimumHealthyPercent", 100), "maximumPercent": conf.get("maximumPercent", 200),
            "primaryTaskDefinition": primary["taskDefinition"], "primaryRolloutState": primary["rolloutState"],
            "deployments": len(service.deployments), "stage": record["lifecycleStage"], "serviceDeploymentStatus": record["status"],
        })

    # ----- service deployment records -------------------------------------
    def _record_for(self, service: Any, primary: dict[str, Any]) -> dict[str, Any]:
        for record in self.records:
            if record["_deployment"] == primary["id"]:
                return record
        region = service.arn.split(":")[3]
        short = primary["id"].split("/")[-1]
        prefix = f"arn:aws:ecs:{region}:{ACCOUNT}"
        blue = [d for d in service.deployments if d is not primary]
        record = {
            "serviceDeploymentArn": deployment_arn(service, primary["id"]),
            "serviceArn": service.arn,
            "clusterArn": f"{prefix}:cluster/{service.cluster_name}",
            "createdAt": primary.get("createdAt") or utcnow(),
            "startedAt": primary.get("createdAt") or utcnow(),
            "updatedAt": utcnow(),
            "sourceServiceRevisions": [
                {"arn": f"{prefix}:service-revision/{service.cluster_name}/{service.name}/{d['id'].split('/')[-1]}",
                 "requestedTaskCount": service.desired_count, "runningTaskCount": d.get("runningCount", 0), "pendingTaskCount": 0}
                for d in blue
            ],
            "targetServiceRevision": {"arn": f"{prefix}:service-revision/{service.cluster_name}/{service.name}/{short}",
                                      "requestedTaskCount": service.desired_count, "runningTaskCount": 0, "pendingTaskCount": 0},
            "status": "IN_PROGRESS",
            "lifecycleStage": "PRE_SCALE_UP",
            "deploymentConfiguration": service.deployment_configuration,
            "_service": service.arn,
            "_deployment": primary["id"],
            "_stage_since": time.time(),
        }
        self.records.append(record)
        return record

    def answer(self, action: str, params: dict[str, Any], backends: list[Any]) -> dict[str, Any]:
        if action == "ListServiceDeployments":
            service = str(params.get("service") or "").split("/")[-1]
            cluster = str(params.get("cluster") or "default").split("/")[-1]
            statuses = params.get("status") or []
            found = [self._public(r) for r in self._all_records(backends) if r["serviceArn"].endswith(f"/{cluster}/{service}")]
            found = [r for r in found if not statuses or r["status"] in statuses]
            created = params.get("createdAt") or {}
            if created.get("after") is not None:
                found = [r for r in found if r["createdAt"] > float(created["after"])]
            if created.get("before") is not None:
                found = [r for r in found if r["createdAt"] < float(created["before"])]
            found.sort(key=lambda r: r["createdAt"], reverse=True)
            return {"serviceDeployments": [
                {k: r.get(k) for k in ("serviceDeploymentArn", "serviceArn", "clusterArn", "startedAt", "createdAt", "finishedAt",
                                        "targetServiceRevisionArn", "status", "statusReason") if r.get(k) is not None}
                for r in found]}
        arns = params.get("serviceDeploymentArns") or []
        by_arn = {r["serviceDeploymentArn"]: r for r in self._all_records(backends)}
        return {"serviceDeployments": [self._public(by_arn[a]) for a in arns if a in by_arn],
                "failures": [{"arn": a, "reason": "MISSING"} for a in arns if a not in by_arn]}

    def _all_records(self, backends: list[Any]) -> list[dict[str, Any]]:
        """Every record kept: staged ones, and rolling ones as observed (ECS keeps a record of every deployment)."""
        for service in [s for backend in backends for s in backend.services.values()]:
            self.observe(service)
        return self.records

    # ----- rolling deployments' records -----------------------------------
    def rolled_back(self, service: Any, failed: dict[str, Any], rollback: dict[str, Any]) -> None:
        """The circuit breaker rolled `failed` back by starting `rollback`: one service deployment, rolling back."""
        self.rollbacks[rollback["id"]] = failed["id"]
        self.observe(service)
        record = self._rolling_record(service, failed)
        record["status"] = "ROLLBACK_IN_PROGRESS"
        record["rollback"] = {"reason": failed.get("rolloutStateReason"), "startedAt": utcnow(),
                              "serviceRevisionArn": revision_arn(service, rollback["id"])}
        record["updatedAt"] = utcnow()
        if self.drop_failed:
            service.deployments[:] = [d for d in service.deployments if d is not failed]

    def observe(self, service: Any) -> None:
        if self.strategy_of(service) in STAGED:
            return  # advance() keeps those records
        present = {d.get("id") for d in service.deployments}
        for dep in service.deployments:
            if not dep.get("id"):
                continue
            failed_id = self.rollbacks.get(dep["id"])
            if failed_id is not None:
                rolled = next((r for r in self.records if r["_deployment"] == failed_id), None)
                if rolled is not None and dep.get("rolloutState") == "COMPLETED" and rolled["status"] == "ROLLBACK_IN_PROGRESS":
                    rolled["status"] = "ROLLBACK_SUCCESSFUL"
                    rolled["finishedAt"] = rolled["updatedAt"] = utcnow()
                continue  # a rollback is part of the failed deployment's record, not one of its own
            record = self._rolling_record(service, dep)
            state = dep.get("rolloutState")
            if state == "COMPLETED" and record["status"] == "IN_PROGRESS":
                record["status"] = "SUCCESSFUL"
                record["finishedAt"] = record["updatedAt"] = utcnow()
            elif state == "FAILED" and record["status"] == "IN_PROGRESS" and dep["id"] not in self.rollbacks.values():
                # without rollback ECS leaves the failed deployment where it is; the service deployment stops:
                # "The service deployment stops when ... The rollback option is not in use for the failure detection
                # mechanism (the circuit breaker or alarm-based) and the service fails." (ServiceDeployment stoppedAt,
                # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html)
                record["status"] = "STOPPED"
                record["finishedAt"] = record["updatedAt"] = utcnow()
            if state == "FAILED" and dep.get("rolloutStateReason"):
                record["statusReason"] = dep["rolloutStateReason"]
        for record in self.records:
            if (record.get("_kind") == "rolling" and record["_service"] == service.arn and record["status"] == "IN_PROGRESS"
                    and record["_deployment"] not in present):
                record["status"] = "STOPPED"  # replaced by a newer deployment before it completed
                record["statusReason"] = "Service deployment stopped because a newer deployment replaced it."
                record["finishedAt"] = record["updatedAt"] = utcnow()

    def _rolling_record(self, service: Any, dep: dict[str, Any]) -> dict[str, Any]:
        for record in self.records:
            if record["_deployment"] == dep["id"]:
                return record
        prefix = service.arn.split(":service/")[0]
        record = {
            "serviceDeploymentArn": deployment_arn(service, dep["id"]),
            "serviceArn": service.arn, "clusterArn": f"{prefix}:cluster/{service.cluster_name}",
            "createdAt": dep.get("createdAt") or utcnow(), "startedAt": dep.get("createdAt") or utcnow(), "updatedAt": utcnow(),
            "targetServiceRevision": {"arn": revision_arn(service, dep["id"]), "requestedTaskCount": service.desired_count,
                                      "runningTaskCount": 0, "pendingTaskCount": 0},
            "status": "IN_PROGRESS",
            "_service": service.arn, "_deployment": dep["id"], "_kind": "rolling",
        }
        self.records.append(record)
        return record

    @staticmethod
    def _public(record: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in record.items():
            if key.startswith("_") or value is None:
                continue
            out[key] = value.timestamp() if hasattr(value, "timestamp") else value
        if isinstance(out.get("rollback"), dict):
            out["rollback"] = {k: (v.timestamp() if hasattr(v, "timestamp") else v) for k, v in out["rollback"].items() if v is not None}
        if "targetServiceRevision" in out:
            out["targetServiceRevisionArn"] = out["targetServiceRevision"]["arn"]
        return out


def deployment_arn(service: Any, deployment_id: str) -> str:
    """arn:aws:ecs:region:account:service-deployment/cluster/service/id, the id ECS's own (not the deployment's) as in
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServiceDeployments.html's example; derived
    from the deployment id so it repeats run to run."""
    digest = hashlib.sha256(f"{service.arn}/{deployment_id}".encode()).hexdigest().upper()
    prefix = service.arn.split(":service/")[0]
    return f"{prefix}:service-deployment/{service.cluster_name}/{service.name}/{digest[:8]}-{digest[8:20].lower()}"


def revision_arn(service: Any, deployment_id: str) -> str:
    prefix = service.arn.split(":service/")[0]
    return f"{prefix}:service-revision/{service.cluster_name}/{service.name}/{deployment_id.split('/')[-1]}"


def minutes_to_wait(conf: dict[str, Any]) -> float:
    """ECS minutes a staged deployment waits on purpose (bake, linear steps, canary), for documentation and tests."""
    strategy = conf.get("strategy")
    total = float(conf.get("bakeTimeInMinutes") or 0)
    if strategy == "LINEAR":
        linear = conf.get("linearConfiguration") or {}
        steps = math.ceil(100 / float(linear.get("stepPercent") or 10.0))
        total += (steps - 1) * float(linear.get("stepBakeTimeInMinutes", 6) or 0)
    elif strategy == "CANARY":
        total += float((conf.get("canaryConfiguration") or {}).get("canaryBakeTimeInMinutes", 10) or 0)
    return total
