"""Lambda's Invoke API and its asynchronous-invocation queue, on top of lambda_runtime.

Invoke (POST /2015-03-31/functions/{name}/invocations) is answered here, outside moto and
outside the global lock, since the function it runs calls back into the sandbox:
  * RequestResponse: runs the function and answers 200 with its result; a failure or timeout
    answers 200 with X-Amz-Function-Error: Unhandled; no free concurrency answers 429;
  * Event: queues the event and answers 202; DryRun answers 204.
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
A caller using a function's credentials needs lambda:InvokeFunction in its role's policy.

The asynchronous queue, as Lambda's: events wait for concurrency (reserved concurrency limits
how many run at once); a failed or timed-out attempt is retried after 1 minute, then 2 minutes,
up to MaximumRetryAttempts (default 2) and while the event is younger than
MaximumEventAgeInSeconds (default 6 hours); then the event goes to the on-failure destination
(SQS queue, SNS topic, Lambda function or EventBridge bus) with Lambda's invocation record, or is
dropped; a success goes to the on-success destination. Retries keep the event's request id.
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
The queue's delays and event ages run on the sandbox clock: real seconds = AWS seconds x
Settings.time_factor (shared.py).
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
import time
import uuid
from typing import Any, Callable
from urllib.parse import parse_qs, unquote

from lambda_runtime import CONCURRENCY, FunctionView, Outcome, denied_action, find_function, invoke_sync, run, tail_header
from shared import LOCK, Settings, arn_parts, credential_of

RETRY_DELAYS_SECONDS = (60, 120)  # before the 1st and the 2nd retry
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_AGE_SECONDS = 6 * 3600
THROTTLE_BACKOFF_SECONDS = 1.0  # Lambda backs off from 1 s up to 5 minutes on throttles

# Every asynchronous event the sandbox has taken, for tests: {"requestId", "function", "attempts", "outcome"}.
HISTORY: list[dict[str, Any]] = []


def _iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _sleep(seconds: float, generation: int) -> bool:
    """Sleeps unless a reset happens meanwhile; False after a reset."""
    end = time.time() + seconds
    while time.time() < end:
        if Settings.generation != generation:
            return False
        time.sleep(min(0.05, max(0.0, end - time.time())))
    return Settings.generation == generation


def deliver_record(destination: str, record: dict[str, Any], region: str) -> None:
    """Under LOCK: an invocation record to an SQS queue, SNS topic, Lambda function or event bus."""
    parts = arn_parts(destination)
    body = json.dumps(record)
    service = parts.get("service")
    if service == "sqs":
        from moto.sqs.models import sqs_backends
        sqs_backends[parts["account"]][parts["region"]].send_message(parts["resource"], body)
    elif service == "sns":
        from moto.sns.models import sns_backends
        sns_backends[parts["account"]][parts["region"]].publish(body, arn=destination)
    elif service == "lambda":
        enqueue(destination, body.encode(), region=region)
    elif service == "events":
        from moto.events.models import events_backends
        events_backends[parts["account"]][parts["region"]].put_events([{
            "Source": "lambda", "DetailType": "Lambda Function Invocation Result - " + (
                "Success" if record["requestContext"]["condition"] == "Success" else "Failure"),
            "Detail": body, "EventBusName": destination, "Resources": [record["requestContext"]["functionArn"]],
        }])


def _record(view: FunctionView, request_id: str, payload: bytes, condition: str, attempts: int,
            outcome: Outcome | None) -> dict[str, Any]:
    try:
        request_payload = json.loads(payload or b"null")
    except ValueError:
        request_payload = payload.decode("utf-8", "replace")
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": _iso(time.time()),
        "requestContext": {"requestId": request_id, "functionArn": view.arn + ":$LATEST",
                           "condition": condition, "approximateInvokeCount": attempts},
        "requestPayload": request_payload,
    }
    if outcome is not None:
        record["responseContext"] = {"statusCode": 200, "executedVersion": "$LATEST",
                                     **({"functionError": outcome.function_error} if outcome.function_error else {})}
        try:
            record["responsePayload"] = json.loads(outcome.payload or b"null")
        except ValueError:
            record["responsePayload"] = outcome.payload.decode("utf-8", "replace")
    return record


def _process(function: str, payload: bytes, request_id: str, region: str | None, enqueued: float,
             generation: int, entry: dict[str, Any]) -> None:
    attempts = 0
    while Settings.generation == generation:
        with LOCK:
            view = find_function(function, region)
        if view is None:
            entry["outcome"] = "function-gone"
            return
        max_retries = int(view.invoke_config.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES))
        max_age = float(view.invoke_config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE_SECONDS))
        on_failure = ((view.invoke_config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        on_success = ((view.invoke_config.get("DestinationConfig") or {}).get("OnSuccess") or {}).get("Destination")
        age = (time.time() - enqueued) / Settings.time_factor
        if age > max_age:
            entry["outcome"] = "EventAgeExceeded"
            if on_failure:
                with LOCK:
                    deliver_record(on_failure, _record(view, request_id, payload, "EventAgeExceeded", attempts, None), view.region)
            return
        if not CONCURRENCY.try_acquire(view):
            CONCURRENCY.wait(THROTTLE_BACKOFF_SECONDS * Settings.time_factor + 0.05)
            continue
        try:
            outcome = run(view, payload, request_id)
        finally:
            CONCURRENCY.release(view)
        attempts += 1
        entry["attempts"] = attempts
        if outcome.ok:
            entry["outcome"] = "Success"
            if on_success:
                with LOCK:
                    deliver_record(on_success, _record(view, request_id, payload, "Success", attempts, outcome), view.region)
            return
        if attempts > max_retries:
            entry["outcome"] = "RetriesExhausted"
            if on_failure:
                with LOCK:
                    deliver_record(on_failure, _record(view, request_id, payload, "RetriesExhausted", attempts, outcome), view.region)
            return
        delay = RETRY_DELAYS_SECONDS[min(attempts - 1, len(RETRY_DELAYS_SECONDS) - 1)]
        if not _sleep(delay * Settings.time_factor, generation):
            return


def enqueue(function: str, payload: bytes, region: str | None = None, request_id: str | None = None) -> str:
    """Queues one asynchronous invocation; safe with or without LOCK held. Returns its request id."""
    request_id = request_id or str(uuid.uuid4())
    entry: dict[str, Any] = {"requestId": request_id, "function": function, "attempts": 0, "outcome": "queued"}
    HISTORY.append(entry)
    thread = threading.Thread(target=_process, daemon=True, name=f"async-{request_id[:8]}",
                              args=(function, payload, request_id, region, time.time(), Settings.generation, entry))
    thread.start()
    return request_id


def _clear_history() -> None:
    HISTORY.clear()


from shared import on_reset  # noqa: E402

on_reset(_clear_history)


# ---------------------------------------------------------------- the Invoke API
def is_invoke(method: str, path: str) -> bool:
    return method == "POST" and path.startswith("/2015-03-31/functions/") and path.rstrip("/").endswith("/invocations")


def _answer(start_response: Callable[..., Any], status: str, body: bytes, headers: list[tuple[str, str]]) -> list[bytes]:
    start_response(status, [("Content-Length", str(len(body))), *headers])
    return [body]


def _error(start_response: Callable[..., Any], status: str, error_type: str, message: str) -> list[bytes]:
    body = json.dumps({"Type": "User", "message": message}).encode()
    return _answer(start_response, status, body, [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)])


def region_of(environ: dict[str, Any]) -> str | None:
    scope = credential_of(environ.get("HTTP_AUTHORIZATION", ""))
    return scope[2] if len(scope) > 2 else None


def handle_invoke(environ: dict[str, Any], body: bytes, start_response: Callable[..., Any]) -> list[bytes]:
    path = environ.get("PATH_INFO", "")
    name = unquote(path[len("/2015-03-31/functions/"):].rstrip("/")[: -len("/invocations")])
    query = parse_qs(environ.get("QUERY_STRING", ""))
    qualifier = (query.get("Qualifier") or [None])[0]
    invocation_type = environ.get("HTTP_X_AMZ_INVOCATION_TYPE", "RequestResponse")
    region = region_of(environ)
    headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")}
    if "CONTENT_TYPE" in environ:
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    if "CONTENT_LENGTH" in environ:
        headers["Content-Length"] = environ["CONTENT_LENGTH"]
    with LOCK:
        view = find_function(name, region, qualifier=qualifier)
        if view is None:
            return _error(start_response, "404 Not Found", "ResourceNotFoundException", f"Function not found: {name}")
        denied = denied_action(headers, "POST", path, body, "InvokeFunction")
    if denied is not None:
        return _error(start_response, "403 Forbidden", "AccessDeniedException", denied)
    request_id = str(uuid.uuid4())
    if invocation_type == "DryRun":
        return _answer(start_response, "204 No Content", b"", [("x-amzn-RequestId", request_id)])
    if invocation_type == "Event":
        enqueue(view.arn, body, view.region, request_id)
        return _answer(start_response, "202 Accepted", b"", [("x-amzn-RequestId", request_id)])
    outcome = invoke_sync(view, body, request_id)
    if outcome is None:
        data = json.dumps({"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded", "Type": "User",
                           "message": "Rate Exceeded."}).encode()
        return _answer(start_response, "429 Too Many Requests", data,
                       [("Content-Type", "application/json"), ("x-amzn-ErrorType", "TooManyRequestsException")])
    extra = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id), ("X-Amz-Executed-Version", "$LATEST")]
    if outcome.function_error:
        extra.append(("X-Amz-Function-Error", outcome.function_error))
    if environ.get("HTTP_X_AMZ_LOG_TYPE") == "Tail":
        extra.append(("X-Amz-Log-Result", tail_header(outcome)))
    logging.debug("invoked %s: ok=%s", view.name, outcome.ok)
    return _answer(start_response, "200 OK", outcome.payload, extra)
