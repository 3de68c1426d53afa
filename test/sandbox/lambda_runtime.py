"""Lambda's execution model for the functions stored in moto, without Docker.

Each invocation runs the function's stored zip (the bytes CreateFunction/UpdateFunctionCode
uploaded) in a fresh node child process (lambda_runner.mjs) with:
  * the handler string resolved as the Node.js runtime resolves it, the configured environment,
    AWS_REGION, AWS_LAMBDA_FUNCTION_NAME and the runtime's other variables, and a context object;
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
  * AWS_ENDPOINT_URL pointing back at the sandbox, so the function's SDK calls land here;
  * credentials from AssumeRole on the function's execution role. Calls made with them are checked
    against the role's policies (moto's IAM enforcement, turned on for these keys only). It
    checks actions, and Resource only where moto names the resource (an SQS queue's ARN): a
    missing action fails as on AWS, a too-narrow Resource elsewhere does not (iam_enforcement.py);
  * the configured Timeout: the process is killed at the deadline and the invocation ends with
    "Task timed out after N.00 seconds", as Lambda reports it;
  * START / END / REPORT lines and everything the function printed written to its log group,
    one log stream per invocation (a fresh execution environment each time).
Concurrency: reserved concurrency caps how many invocations of a function run at once; a
synchronous invoke beyond it is throttled (429), an asynchronous one waits in the queue.
https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.logs.models import logs_backends
from moto.sts.models import sts_backends

from shared import DEFAULT_ACCOUNT, DEFAULT_REGION, LOCK, Settings, arn_parts, on_reset

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lambda_runner.mjs")
NODE = os.environ.get("SANDBOX_NODE", "node")
CODE_CACHE = tempfile.mkdtemp(prefix="sandbox-lambda-code-")

from iam_enforcement import CHECKING_FUNCTION, FUNCTION_KEYS, denied_action, install_iam_enforcement  # noqa: E402,F401  (re-exported)


# ---------------------------------------------------------------- functions
@dataclass
class FunctionView:
    """What one invocation needs, copied out of moto under the lock."""
    name: str
    arn: str
    account: str
    region: str
    handler: str
    runtime: str
    timeout: int
    memory: int
    role: str
    environment: dict[str, str]
    code: bytes
    code_sha: str
    reserved: int | None
    invoke_config: dict[str, Any]
    model: Any = field(repr=False)


def find_function(name_or_arn: str, region: str | None = None, account: str | None = None,
                  qualifier: str | None = None) -> FunctionView | None:
    """Under LOCK. None when there is no such function."""
    parts = arn_parts(name_or_arn)
    if parts:
        region, account = parts["region"], parts["account"]
        pieces = parts["resource"].split(":")  # function:name[:qualifier]
        name = pieces[1] if len(pieces) > 1 else pieces[0]
        qualifier = pieces[2] if len(pieces) > 2 else qualifier
    else:
        name = name_or_arn
    account = account or DEFAULT_ACCOUNT
    region = region or DEFAULT_REGION
    try:
        fn = lambda_backends[account][region].get_function(name, qualifier)
    except Exception:
        return None
    config = fn.event_invoke_config[0].config if fn.event_invoke_config else {}
    return FunctionView(
        name=fn.function_name, arn=fn.function_arn, account=account, region=region,
        handler=fn.handler or "", runtime=fn.run_time or "", timeout=int(fn.timeout or 3),
        memory=int(fn.memory_size or 128), role=fn.role, environment=dict(fn.environment_vars or {}),
        code=bytes(getattr(fn, "code_bytes", b"") or b""), code_sha=fn.code_sha_256,
        reserved=None if fn.reserved_concurrency in (None, "") else int(fn.reserved_concurrency),
        invoke_config=dict(config), model=fn,
    )


def unpacked(view: FunctionView) -> str:
    """The zip unpacked once per code hash (Lambda's /var/task)."""
    digest = hashlib.sha256(view.code).hexdigest()
    folder = os.path.join(CODE_CACHE, digest)
    if not os.path.isdir(folder):
        staging = tempfile.mkdtemp(dir=CODE_CACHE)
        with zipfile.ZipFile(io.BytesIO(view.code)) as archive:
            archive.extractall(staging)
        try:
            os.rename(staging, folder)
        except OSError:  # another invocation unpacked it first
            shutil.rmtree(staging, ignore_errors=True)
    return folder


# ---------------------------------------------------------------- concurrency
class Concurrency:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.running: dict[str, int] = {}

    def try_acquire(self, view: FunctionView) -> bool:
        with self.cond:
            limit = view.reserved if view.reserved is not None else 1000
            if self.running.get(view.arn, 0) >= limit:
                return False
            self.running[view.arn] = self.running.get(view.arn, 0) + 1
            return True

    def release(self, view: FunctionView) -> None:
        with self.cond:
            self.running[view.arn] = max(0, self.running.get(view.arn, 0) - 1)
            self.cond.notify_all()

    def wait(self, seconds: float) -> None:
        with self.cond:
            self.cond.wait(seconds)


CONCURRENCY = Concurrency()
RUNNING: set[subprocess.Popen[bytes]] = set()
RUNNING_LOCK = threading.Lock()


def kill_running() -> None:
    with RUNNING_LOCK:
        for process in list(RUNNING):
            process.kill()
    with CONCURRENCY.cond:
        CONCURRENCY.running.clear()
        CONCURRENCY.cond.notify_all()


on_reset(kill_running)


# ---------------------------------------------------------------- one invocation
@dataclass
class Outcome:
    ok: bool
    payload: bytes
    function_error: str | None = None  # "Unhandled" when the function failed or timed out
    log_tail: str = ""
    timed_out: bool = False


def credentials_for(view: FunctionView) -> dict[str, str]:
    """Under LOCK: AssumeRole on the execution role, as Lambda does for every execution environment."""
    role = sts_backends[view.account]["aws"].assume_role(
        region_name=view.region, role_session_name=view.name, role_arn=view.role,
        policy="", duration=max(900, view.timeout + 60), external_id="",
    )
    FUNCTION_KEYS.add(role.access_key_id)
    return {"AWS_ACCESS_KEY_ID": role.access_key_id, "AWS_SECRET_ACCESS_KEY": role.secret_access_key,
            "AWS_SESSION_TOKEN": role.session_token}


def role_allows(view: FunctionView, creds: dict[str, str], action: str, resource: str = "*") -> bool:
    """Under LOCK: whether the execution role's policies allow an action on a resource (checked as moto checks)."""
    from moto.iam.access_control import AssumedRoleAccessKey, IAMPolicy, PermissionResult
    CHECKING_FUNCTION.active = True
    try:
        key = AssumedRoleAccessKey(view.account, "aws", creds["AWS_ACCESS_KEY_ID"], {"X-Amz-Security-Token": creds["AWS_SESSION_TOKEN"]})
        results = [IAMPolicy(policy).is_action_permitted(action, resource) for policy in key.collect_policies()]
    except Exception:
        return False
    finally:
        CHECKING_FUNCTION.active = False
    return PermissionResult.PERMITTED in results and PermissionResult.DENIED not in results


class LogWriter:
    """An invocation's lines into /aws/lambda/NAME, delivered while it runs (as Lambda streams them).

    Lambda writes with the execution role: a missing group is created only when the role may
    logs:CreateLogGroup (the AWSLambdaBasicExecutionRole case), and lines are written only when it may
    logs:CreateLogStream and logs:PutLogEvents; otherwise the lines are lost, as on AWS. https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
    Each is checked against the resource it acts on, so a role scoped to another group writes nothing: the
    group's ARN in the form IAM policies use ("log-group:NAME:*") for CreateLogGroup, the stream's ARN (which
    that form covers) for the other two. https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html
    """

    def __init__(self, view: FunctionView, creds: dict[str, str], stream: str, generation: int) -> None:
        self.view, self.creds, self.stream, self.generation = view, creds, stream, generation
        self.group = f"/aws/lambda/{view.name}"
        self.pending: list[tuple[int, str]] = []
        self.lock = threading.Lock()
        self.ready = False

    def add(self, timestamp: int, message: str) -> None:
        if message != "":
            with self.lock:
                self.pending.append((timestamp, message))

    def flush(self) -> None:
        with self.lock:
            lines, self.pending = self.pending, []
        if not lines:
            return
        with LOCK:
            if Settings.generation != self.generation:
                return  # an invocation cut short by a reset leaves no trace in what follows
            backend = logs_backends[self.view.account][self.view.region]
            try:
                group_arn = f"arn:aws:logs:{self.view.region}:{self.view.account}:log-group:{self.group}"
                if self.group not in backend.groups:
                    if not role_allows(self.view, self.creds, "logs:CreateLogGroup", f"{group_arn}:*"):
                        return
                    backend.create_log_group(self.group, {})
                if not self.ready:
                    # Lambda writes a function's lines with its execution role, which must allow both.
                    stream_arn = f"{group_arn}:log-stream:{self.stream}"
                    if not (role_allows(self.view, self.creds, "logs:CreateLogStream", stream_arn)
                            and role_allows(self.view, self.creds, "logs:PutLogEvents", stream_arn)):
                        return
                    backend.create_log_stream(self.group, self.stream)
                    self.ready = True
                backend.put_log_events(self.group, self.stream, [{"timestamp": ts, "message": m} for ts, m in lines])
            except Exception:
                logging.debug("log delivery for %s failed", self.view.name, exc_info=True)


def run(view: FunctionView, event: bytes, request_id: str) -> Outcome:
    """Runs one invocation to its end. The caller holds a concurrency slot and NOT the lock."""
    started = time.time()
    generation = Settings.generation
    now = datetime.datetime.now(datetime.timezone.utc)
    stream = f"{now:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
    with LOCK:
        creds = credentials_for(view)
    root = unpacked(view)
    env = {
        "PATH": os.environ.get("PATH", ""), "TZ": ":UTC", "LANG": "en_US.UTF-8",
        **view.environment,
        # The runtime's reserved variables win over the configured ones, as on Lambda.
        "AWS_REGION": view.region, "AWS_DEFAULT_REGION": view.region,
        "AWS_LAMBDA_FUNCTION_NAME": view.name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(view.memory),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{view.name}", "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{view.runtime}", "LAMBDA_TASK_ROOT": root, "_HANDLER": view.handler,
        "AWS_ENDPOINT_URL": Settings.endpoint, **creds,
        # nodejs22.x does not print the SDK's "Node 20 support ends" notice; node 20 here would.
        "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED": "true",
        "SANDBOX_REQUEST_ID": request_id, "SANDBOX_RESULT_FD": "", "SANDBOX_INVOKED_ARN": view.arn,
        "SANDBOX_DEADLINE_MS": str(int((started + view.timeout) * 1000)),
    }
    read_fd, write_fd = os.pipe()
    env["SANDBOX_RESULT_FD"] = str(write_fd)
    process = subprocess.Popen([NODE, RUNNER], cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, pass_fds=(write_fd,))
    os.close(write_fd)
    with RUNNING_LOCK:
        RUNNING.add(process)
    lines: list[tuple[int, str]] = []
    writer = LogWriter(view, creds, stream, generation)

    def log(timestamp: int, message: str) -> None:
        lines.append((timestamp, message))
        writer.add(timestamp, message)

    log(int(started * 1000), f"START RequestId: {request_id} Version: $LATEST")
    result_chunks: list[bytes] = []
    finished = threading.Event()

    def read_output() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            log(int(time.time() * 1000), raw.decode("utf-8", "replace").rstrip("\n"))

    def deliver_logs() -> None:
        while not finished.wait(0.5):
            writer.flush()

    def read_result() -> None:
        with os.fdopen(read_fd, "rb") as pipe:
            result_chunks.append(pipe.read())

    readers = [threading.Thread(target=read_output, daemon=True), threading.Thread(target=read_result, daemon=True),
               threading.Thread(target=deliver_logs, daemon=True)]
    for reader in readers:
        reader.start()
    try:
        assert process.stdin is not None
        process.stdin.write(event)
        process.stdin.close()
    except OSError:
        pass
    timed_out = False
    try:
        process.wait(timeout=view.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        process.kill()
        process.wait()
    for reader in readers[:2]:
        reader.join(timeout=2)
    with RUNNING_LOCK:
        RUNNING.discard(process)
    ended = time.time()
    duration_ms = (ended - started) * 1000
    text = b"".join(result_chunks).decode("utf-8", "replace").strip().splitlines()
    result = None
    if text:
        try:
            result = json.loads(text[-1])
        except ValueError:
            result = None
    if timed_out:
        message = f"{datetime.datetime.now(datetime.timezone.utc).isoformat()[:23]}Z {request_id} Task timed out after {view.timeout:.2f} seconds"
        log(int(ended * 1000), message)
        outcome = Outcome(False, json.dumps({"errorMessage": message}).encode(), "Unhandled", timed_out=True)
    elif result is None:
        detail = f"RequestId: {request_id} Error: Runtime exited with error: exit status {process.returncode}"
        log(int(ended * 1000), detail)
        outcome = Outcome(False, json.dumps({"errorType": "Runtime.ExitError", "errorMessage": detail}).encode(), "Unhandled")
    elif result.get("ok"):
        outcome = Outcome(True, json.dumps(result["result"]).encode())
    else:
        error = {"errorType": result.get("errorType"), "errorMessage": result.get("errorMessage"), "trace": result.get("trace", [])}
        log(int(ended * 1000), f"{datetime.datetime.now(datetime.timezone.utc).isoformat()[:23]}Z\t{request_id}\tERROR\tInvoke Error \t{json.dumps(error)}")
        outcome = Outcome(False, json.dumps(error).encode(), "Unhandled")
    log(int(ended * 1000), f"END RequestId: {request_id}")
    log(int(ended * 1000), f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
                  f"Billed Duration: {int(duration_ms) + 1} ms\tMemory Size: {view.memory} MB"
                  + ("\tStatus: timeout" if timed_out else ""))
    outcome.log_tail = "\n".join(message for _, message in lines)[-4096:]
    finished.set()
    writer.flush()
    return outcome


def invoke_sync(view: FunctionView, event: bytes, request_id: str | None = None) -> Outcome | None:
    """A synchronous invocation; None when the function is throttled (no free concurrency)."""
    if not CONCURRENCY.try_acquire(view):
        return None
    try:
        return run(view, event, request_id or str(uuid.uuid4()))
    finally:
        CONCURRENCY.release(view)


def tail_header(outcome: Outcome) -> str:
    return base64.b64encode(outcome.log_tail.encode()).decode()
