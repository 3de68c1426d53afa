"""ECS test sandbox: moto's server plus a scheduler that plays ECS's part.

    python3 test/sandbox/sandbox.py [--port 0] [--tick 0.2] [--no-scheduler]

Serves moto's WSGI app on 127.0.0.1 behind a small middleware that
  * takes one global lock around every request and every scheduler tick,
  * serves control routes under /_sandbox/ (reset, calls, record, config),
  * counts API calls by action,
  * adds ECS API behaviour moto lacks: ListServices/ListTasks paging
    (maxResults/nextToken), the 10-name limit of DescribeServices and the
    100-ARN limit of DescribeTasks, ListTasks' serviceName filter and its
    default desiredStatus RUNNING, CreateService keeping
    deploymentConfiguration, and DescribeTaskDefinition(family) answering
    with the newest ACTIVE revision (the last four are patches to moto, in
    ecs_patches.py);
and runs what moto only stores (one module per service, see each module's notes):
  run_task.py                          RunTask's one-off tasks to STOPPED, exit codes, awslogs output
  lambda_runtime.py / lambda_async.py  Lambda Invoke, the async queue, retries, destinations
  event_sources.py                     SNS, CloudWatch alarm actions, EventBridge, SQS mappings
  apigateway_http.py                   deployed REST APIs over HTTP (/restapis/{id}/{stage}/_user_request_/...)
  ecs_events.py                        ECS deployment and service events on the default bus
  ecr_events.py                        ECR's "ECR Image Action" on the default bus when PutImage succeeds
  registry_digests.py                  the imageDigest each new task's containers run
  app_autoscaling.py                   RegisterScalableTarget bringing an ECS service's count into its range
When ready it prints one JSON line, {"endpoint": "http://127.0.0.1:PORT"}.
It exits on SIGTERM/SIGINT and when its stdin closes.

Control routes (JSON):
  POST /_sandbox/reset        clear moto, the scheduler, calls and record; tick back to --tick, unpaused
                              (body {"paused": true}: paused, in the same step)
  GET  /_sandbox/calls        {"calls": [{"t", "action", "cluster"?, "service"?}]} since the last reset
  POST /_sandbox/calls/clear  forget the calls so far
  GET  /_sandbox/record       {"record": [...]} one entry per tick per service (see scheduler.py)
  GET  /_sandbox/config       {"tick", "paused"}
  POST /_sandbox/config       {"tick"?: seconds, "paused"?: bool}
  POST /_sandbox/tick         run one scheduler tick now (also with --no-scheduler)
  GET  /_sandbox/invocations  {"invocations": [{"requestId", "function", "attempts", "outcome"}]} async events
  config also takes {"timeFactor": f}: the async queue's delays and event ages in real seconds = AWS seconds x f
  and ECS's: {"ecsTimeFactor": f} (bake, traffic steps, health checks; strategies.py, elb_health.py),
  {"dropFailedDeployments": true} (a rolled-back deployment leaves the service at once; strategies.py),
  {"registrationConflictSeconds", "busyFamilies", "unmodelledTaskDefinitionFields", "enforceTagLimits"} (ecs_limits.py)
moto's own /moto-api/reset also resets the scheduler and re-freezes task status.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import logging
import os
import signal
import sys
import threading
import time
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from moto.moto_api import state_manager  # noqa: E402
from moto.moto_api._internal import mock_random  # noqa: E402
from moto.moto_api._internal.models import moto_api_backend  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

import run_task  # noqa: E402
from moto.ecs.models import ecs_backends  # noqa: E402
from scheduler import STRATEGIES, Scheduler, _existing_backends  # noqa: E402
from ecs_limits import EcsLimits  # noqa: E402
from elb_health import HEALTH  # noqa: E402
import ecr_events  # noqa: E402
from ecs_patches import install_patches  # noqa: E402
import registry_digests  # noqa: E402
import apigateway_http  # noqa: E402
import app_autoscaling  # noqa: E402
import ecs_events  # noqa: E402
import event_sources  # noqa: E402
import lambda_async  # noqa: E402
import lambda_runtime  # noqa: E402
import shared  # noqa: E402
import sns_policy  # noqa: E402
import aws_limits  # noqa: E402
import cloudwatch_tags  # noqa: E402

ECS_TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."

LOCK = shared.LOCK
SCHEDULER = Scheduler()
LIMITS = EcsLimits()
# Behaviour kept in modules of its own: each has reset(), configure(args) -> dict (POST /_sandbox/config) and state().
EXTENSIONS: list[Any] = [LIMITS, STRATEGIES, HEALTH, registry_digests.DIGESTS]


def scheduler_tick() -> None:
    SCHEDULER.tick()
    ecs_events.observe()


def freeze_task_status() -> None:
    """Tasks change lastStatus only when the scheduler (or StopTask) says so."""
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**15})


# ---------------------------------------------------------------- middleware
def existing_tags(resource_arn: str) -> list[dict[str, Any]]:
    """The tags an ECS resource has now (ecs_limits.py counts TagResource after its merge)."""
    parts = resource_arn.split(":")
    backend = ecs_backends[parts[4]][parts[3]]
    return list(backend.list_tags_for_resource(resource_arn) or [])


def json_response(start_response: Callable[..., Any], status: int, body: Any,
                  content_type: str = "application/json") -> list[bytes]:
    data = json.dumps(body).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Error")
    start_response(f"{status} {reason}", [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


def ecs_error(start_response: Callable[..., Any], message: str,
              error_type: str = "InvalidParameterException") -> list[bytes]:
    return json_response(start_response, 400, {"__type": error_type, "message": message},
                         "application/x-amz-json-1.1")


class Sandbox:
    def __init__(self, tick: float, time_factor: float = shared.Settings.time_factor) -> None:
        self.moto_app = DomainDispatcherApplication(create_backend_app)
        self.initial_time_factor = shared.Settings.time_factor = time_factor
        self.initial_tick = tick
        self.tick = tick
        self.paused = False
        self.calls: list[dict[str, Any]] = []
        self.stopping = threading.Event()

    # -- scheduler thread
    def run_scheduler(self) -> None:
        while not self.stopping.wait(self.tick):
            if self.paused:
                continue
            with LOCK:
                if self.paused:  # paused while this thread waited for the lock: a test's ticks must be its own
                    continue
                try:
                    scheduler_tick()
                except Exception:  # keep ticking; a bug shows in stderr
                    logging.exception("scheduler tick failed")

    # -- WSGI
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        # These run Lambda functions, which call back into the sandbox: never under the lock.
        if lambda_async.is_invoke(environ.get("REQUEST_METHOD", ""), path):
            with LOCK:
                self.calls.append({"t": time.time(), "action": "Invoke"})
            return lambda_async.handle_invoke(environ, body, start_response)
        if apigateway_http.match(environ) is not None:
            return apigateway_http.handle(environ, body, start_response)
        with LOCK:
            if path.startswith("/_sandbox/"):
                return self.control(path, environ.get("REQUEST_METHOD", "GET"), body, start_response)
            if path.rstrip("/") == "/moto-api/reset":
                result = self.call_moto(environ, start_response)
                freeze_task_status()
                SCHEDULER.reset()
                for extension in EXTENSIONS:
                    extension.reset()
                shared.reset_services()
                return result
            return self.api(environ, body, start_response)

    def call_moto(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        # consume moto's answer inside the lock
        return list(self.moto_app(environ, start_response))

    def api(self, environ: dict[str, Any], body: bytes, start_response: Callable[..., Any]) -> list[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        params: dict[str, Any] = {}
        if target:
            action = target.rsplit(".", 1)[-1]
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                params = {}
        else:
            form = parse_qs(body.decode("utf-8", "replace")) if body else {}
            form.update(parse_qs(environ.get("QUERY_STRING", "")))
            action = (form.get("Action") or [""])[0] or f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
        call: dict[str, Any] = {"t": time.time(), "action": action}
        if isinstance(params, dict) and isinstance(params.get("cluster"), str):
            call["cluster"] = params["cluster"]
        if target and not target.startswith(ECS_TARGET_PREFIX):
            call["service"] = target.rsplit(".", 1)[0]
        self.calls.append(call)
        if not target.startswith(ECS_TARGET_PREFIX):
            return self.call_moto(environ, start_response)

        if action == "DescribeServices" and len(params.get("services") or []) > 10:
            return ecs_error(start_response, "services can have at most 10 items.")
        if action == "DescribeTasks" and len(params.get("tasks") or []) > 100:
            return ecs_error(start_response, "tasks can have at most 100 items.")
        refused = LIMITS.refuse(action, params if isinstance(params, dict) else {}, existing_tags)
        if refused is not None:
            return ecs_error(start_response, refused[1], refused[0])
        if action in ("ListServiceDeployments", "DescribeServiceDeployments"):
            return json_response(start_response, 200, STRATEGIES.answer(action, params, _existing_backends()),
                                 "application/x-amz-json-1.1")
        if action == "DescribeTaskDefinition" and LIMITS.unmodelled_fields:
            return LIMITS.answer_rewritten(self.moto_app, environ, start_response, action)
        if action in ("ListServices", "ListTasks"):
            return self.paged(environ, params, start_response,
                              "serviceArns" if action == "ListServices" else "taskArns",
                              10 if action == "ListServices" else 100)
        return self.call_moto(environ, start_response)

    def paged(self, environ: dict[str, Any], params: dict[str, Any], start_response: Callable[..., Any],
              key: str, default_max: int) -> list[bytes]:
        max_results = params.get("maxResults")
        if max_results is not None and not (isinstance(max_results, int) and 1 <= max_results <= 100):
            return ecs_error(start_response, "maxResults must be between 1 and 100.")
        offset = 0
        token = params.get("nextToken")
        if token:
            try:
                offset = int(json.loads(base64.b64decode(token))["offset"])
            except Exception:
                return ecs_error(start_response, "Invalid nextToken.")
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        raw = b"".join(self.moto_app(environ, capture))
        if not captured["status"].startswith("200"):
            start_response(captured["status"], captured["headers"])
            return [raw]
        answer = json.loads(raw)
        items = answer.get(key) or []
        size = max_results or default_max
        page = {key: items[offset: offset + size]}
        if offset + size < len(items):
            page["nextToken"] = base64.b64encode(json.dumps({"offset": offset + size}).encode()).decode()
        return json_response(start_response, 200, page, "application/x-amz-json-1.1")

    def config_view(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        for extension in EXTENSIONS:
            extra.update(extension.state())
        return {"tick": self.tick, "paused": self.paused, "timeFactor": shared.Settings.time_factor, **extra}

    def control(self, path: str, method: str, body: bytes, start_response: Callable[..., Any]) -> list[bytes]:
        try:
            args = json.loads(body) if body else {}
        except ValueError:
            return json_response(start_response, 400, {"error": "body is not JSON"})
        route = (method, path.rstrip("/"))
        if route == ("POST", "/_sandbox/reset"):
            moto_api_backend.reset()
            mock_random.seed(0)  # task and event ids repeat run to run
            freeze_task_status()
            SCHEDULER.reset()
            for extension in EXTENSIONS:
                extension.reset()
            shared.reset_services()
            shared.Settings.time_factor = self.initial_time_factor
            self.calls = []
            # one test file's knobs never leak into the next; {"paused": true} resets straight into a paused
            # sandbox, so no background tick can fall between the reset and a separate pause
            self.tick, self.paused = self.initial_tick, isinstance(args, dict) and args.get("paused") is True
            return json_response(start_response, 200, {"reset": True})
        if route == ("GET", "/_sandbox/calls"):
            return json_response(start_response, 200, {"calls": self.calls})
        if route == ("POST", "/_sandbox/calls/clear"):
            self.calls = []
            return json_response(start_response, 200, {"cleared": True})
        if route == ("GET", "/_sandbox/record"):
            return json_response(start_response, 200, {"record": SCHEDULER.record})
        if route == ("GET", "/_sandbox/invocations"):
            return json_response(start_response, 200, {"invocations": lambda_async.HISTORY})
        if route == ("POST", "/_sandbox/config"):
            if "timeFactor" in args:
                shared.Settings.time_factor = max(0.0001, float(args["timeFactor"]))
            if "tick" in args:
                self.tick = max(0.01, float(args["tick"]))
            if "paused" in args:
                self.paused = bool(args["paused"])
            for extension in EXTENSIONS:
                extension.configure(args)
            return json_response(start_response, 200, self.config_view())
        if route == ("POST", "/_sandbox/tick"):
            scheduler_tick()
            return json_response(start_response, 200, {"tick": SCHEDULER.tick_no})
        if route == ("GET", "/_sandbox/config"):
            return json_response(start_response, 200, self.config_view())
        return json_response(start_response, 404, {"error": f"no route {method} {path}"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tick", type=float, default=0.2)
    parser.add_argument("--no-scheduler", action="store_true")
    parser.add_argument("--time-factor", type=float, default=shared.Settings.time_factor,
                        help="real seconds per AWS second for Lambda's async retry delays and event ages")
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    install_patches(SCHEDULER)
    run_task.install(SCHEDULER)  # RunTask's one-off tasks: see run_task.py
    lambda_runtime.install_iam_enforcement()
    event_sources.install_all()
    sns_policy.install()
    aws_limits.install()
    cloudwatch_tags.install()
    ecr_events.install()
    app_autoscaling.install()
    mock_random.seed(0)
    freeze_task_status()
    sandbox = Sandbox(args.tick, args.time_factor)
    server = make_server("127.0.0.1", args.port, sandbox, threaded=True)
    shared.Settings.endpoint = f"http://127.0.0.1:{server.server_port}"

    def shut_down(*_: Any) -> None:
        sandbox.stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)

    def watch_stdin() -> None:
        try:
            while sys.stdin.buffer.read1(65536):
                pass
        except (OSError, ValueError):
            pass
        shut_down()

    threading.Thread(target=watch_stdin, daemon=True).start()
    if not args.no_scheduler:
        threading.Thread(target=sandbox.run_scheduler, daemon=True).start()
    print(json.dumps({"endpoint": shared.Settings.endpoint}), flush=True)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
