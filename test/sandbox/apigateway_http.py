"""API Gateway REST APIs served over HTTP: the deployed stages of the APIs stored in moto.

Invoke URL on loopback (the form moto and LocalStack use):
    http://127.0.0.1:PORT/restapis/{api-id}/{stage}/_user_request_/{path}
A Host header of {api-id}.execute-api.{region}.amazonaws.com with the path /{stage}/{path} works too.

A request is answered as API Gateway answers it:
  * routed by resource path (literal segments before {param}, {proxy+} last) and method (ANY as
    a fallback); a resource or method that does not exist answers 403
    {"message":"Missing Authentication Token"};
    https://repost.aws/knowledge-center/api-gateway-authentication-token-errors
  * an unknown stage answers 403 {"message":"Forbidden"};
  * stage throttling: a token bucket per stage and method setting ("*/*" or "path/METHOD") with the
    setting's throttlingRateLimit and throttlingBurstLimit; beyond it 429 {"message":"Too Many Requests"};
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
  * an AWS_PROXY integration whose URI names a Lambda function runs it synchronously with the REST
    (v1) proxy event, and the function's result {statusCode, headers, multiValueHeaders, body,
    isBase64Encoded} becomes the answer;
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
  * the function's resource policy must allow apigateway.amazonaws.com with a SourceArn matching
    arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{METHOD}/{resource path}, else 500
    {"message": "Internal server error"} (API Gateway's answer to "Invalid permissions on Lambda
    function"); a function error, a throttled function or a malformed result answers 502
    {"message": "Internal server error"}; more than the 29 s integration timeout answers 504.
Not modelled: authorizers, API keys and usage plans, request validation, mapping templates,
non-proxy integrations, custom domains, binary media types other than by exact Content-Type.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import threading
import time
import uuid
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote

from moto.apigateway.models import apigateway_backends

from lambda_runtime import find_function, invoke_sync
from shared import DEFAULT_ACCOUNT, LOCK, arn_parts, on_reset, resource_policy_allows

USER_REQUEST = re.compile(r"^/restapis/([^/]+)/([^/]+)/_user_request_(/.*)?$")
EXECUTE_API_HOST = re.compile(r"^([a-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(:\d+)?$")
INTEGRATION_TIMEOUT_SECONDS = 29
LAMBDA_URI = re.compile(r"^arn:[^:]+:apigateway:[^:]+:lambda:path/2015-03-31/functions/(.+)/invocations$")
STATUS_TEXT = {200: "OK", 403: "Forbidden", 429: "Too Many Requests", 500: "Internal Server Error",
               502: "Bad Gateway", 504: "Gateway Timeout"}


def match(environ: dict[str, Any]) -> tuple[str, str, str] | None:
    """(api id, stage, path) when the request is for a deployed API, else None."""
    path = environ.get("PATH_INFO", "")
    found = USER_REQUEST.match(path)
    if found:
        return found.group(1), found.group(2), found.group(3) or "/"
    host = EXECUTE_API_HOST.match(environ.get("HTTP_HOST", ""))
    if host:
        stage, _, rest = path.lstrip("/").partition("/")
        return host.group(1), stage, "/" + rest
    return None


class Buckets:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, last refill)

    def take(self, key: str, rate: float, burst: float) -> bool:
        with self.lock:
            now = time.monotonic()
            tokens, last = self.buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens < 1:
                self.buckets[key] = (tokens, now)
                return False
            self.buckets[key] = (tokens - 1, now)
            return True

    def clear(self) -> None:
        with self.lock:
            self.buckets.clear()


BUCKETS = Buckets()
on_reset(BUCKETS.clear)


def _answer(start_response: Callable[..., Any], status: int, body: bytes, headers: list[tuple[str, str]]) -> list[bytes]:
    start_response(f"{status} {STATUS_TEXT.get(status, 'Status')}", [("Content-Length", str(len(body))), *headers])
    return [body]


def _message(start_response: Callable[..., Any], status: int, message: str, request_id: str) -> list[bytes]:
    extra = [("x-amzn-ErrorType", "MissingAuthenticationTokenException")] if message == "Missing Authentication Token" else []
    return _answer(start_response, status, json.dumps({"message": message}).encode(),
                   [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id), *extra])


def _route(api: Any, path: str, method: str) -> tuple[Any, Any, dict[str, str]] | None:
    """The resource and method for a request path, with path parameters."""
    segments = [unquote(s) for s in path.strip("/").split("/")] if path.strip("/") else []
    best: tuple[tuple[int, ...], Any, dict[str, str]] | None = None
    for resource in api.resources.values():
        template = resource.get_path()
        parts = template.strip("/").split("/") if template.strip("/") else []
        params: dict[str, str] = {}
        score: list[int] = []
        ok = True
        for i, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                if i >= len(segments):
                    ok = False
                    break
                params[part[1:-2]] = "/".join(segments[i:])
                score.append(0)
                segments_used = len(segments)
                break
            if i >= len(segments):
                ok = False
                break
            if part.startswith("{") and part.endswith("}"):
                params[part[1:-1]] = segments[i]
                score.append(1)
            elif part == segments[i]:
                score.append(2)
            else:
                ok = False
                break
        else:
            segments_used = len(parts)
        if not ok or segments_used != len(segments):
            continue
        if best is None or tuple(score) > best[0]:
            best = (tuple(score), resource, params)
    if best is None:
        return None
    resource = best[1]
    found = resource.resource_methods.get(method) or resource.resource_methods.get("ANY")
    return (resource, found, best[2]) if found is not None else None


def _throttle_setting(stage: Any, resource_path: str, method: str) -> tuple[float, float] | None:
    settings = stage.method_settings or {}
    specific = settings.get(f"{resource_path.lstrip('/').replace('/', '~1')}/{method}") or settings.get(f"{resource_path}/{method}")
    chosen = specific or settings.get("*/*")
    if not chosen or "throttlingRateLimit" not in chosen:
        return None
    return float(chosen["throttlingRateLimit"]), float(chosen.get("throttlingBurstLimit", chosen["throttlingRateLimit"]))


def _multi(pairs: list[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value  # the last value, as API Gateway puts it in the single-value map
        multi.setdefault(key, []).append(value)
    return single, multi


def handle(environ: dict[str, Any], body: bytes, start_response: Callable[..., Any]) -> list[bytes]:
    api_id, stage_name, path = match(environ) or ("", "", "/")
    method = environ.get("REQUEST_METHOD", "GET")
    request_id = str(uuid.uuid4())
    with LOCK:
        api, region = None, ""
        for regions in apigateway_backends.values():
            for region_name, backend in regions.items():
                if api_id in backend.apis:
                    api, region = backend.apis[api_id], region_name
        if api is None:
            return _message(start_response, 403, "Forbidden", request_id)
        stage = api.stages.get(stage_name)
        if stage is None:
            return _message(start_response, 403, "Forbidden", request_id)
        routed = _route(api, path, method)
        if routed is None:
            return _message(start_response, 403, "Missing Authentication Token", request_id)
        resource, api_method, path_params = routed
        resource_path = resource.get_path()
        throttle = _throttle_setting(stage, resource_path, method)
        integration = api_method.method_integration
        uri = LAMBDA_URI.match(getattr(integration, "uri", "") or "")
        if integration is None or integration.integration_type != "AWS_PROXY" or uri is None:
            return _message(start_response, 500, "Internal server error", request_id)
        view = find_function(unquote(uri.group(1)))
        account = view.account if view else DEFAULT_ACCOUNT
        source_arn = f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage_name}/{method}{resource_path}"
        allowed = view is not None and resource_policy_allows(view.model, "apigateway.amazonaws.com", source_arn, account)
        binary_types = list(getattr(api, "binaryMediaTypes", []) or [])
        variables = dict(stage.variables or {}) or None
    if throttle is not None and not BUCKETS.take(f"{api_id}/{stage_name}/{resource_path}/{method}", *throttle):
        return _message(start_response, 429, "Too Many Requests", request_id)
    if view is None or not allowed:
        return _message(start_response, 500, "Internal server error", request_id)

    header_pairs = [(key[5:].replace("_", "-").title(), value) for key, value in environ.items() if key.startswith("HTTP_")]
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            header_pairs.append((key.replace("_", "-").title(), environ[key]))
    headers, multi_headers = _multi(header_pairs)
    query, multi_query = _multi(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    content_type = environ.get("CONTENT_TYPE", "")
    binary = bool(body) and content_type.split(";")[0].strip() in binary_types
    now = datetime.datetime.now(datetime.timezone.utc)
    event = {
        "resource": resource_path, "path": path, "httpMethod": method,
        "headers": headers, "multiValueHeaders": multi_headers,
        "queryStringParameters": query, "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_params or None, "stageVariables": variables,
        "requestContext": {
            "accountId": account, "apiId": api_id, "domainName": environ.get("HTTP_HOST", ""),
            "domainPrefix": api_id, "extendedRequestId": request_id[:16], "httpMethod": method,
            "identity": {"sourceIp": environ.get("REMOTE_ADDR", "127.0.0.1"), "userAgent": environ.get("HTTP_USER_AGENT"),
                         "accessKey": None, "accountId": None, "caller": None, "user": None, "userArn": None,
                         "cognitoAuthenticationProvider": None, "cognitoAuthenticationType": None,
                         "cognitoIdentityId": None, "cognitoIdentityPoolId": None, "principalOrgId": None},
            "path": f"/{stage_name}{path}", "protocol": environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "requestId": request_id, "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000), "resourceId": resource.id,
            "resourcePath": resource_path, "stage": stage_name,
        },
        "body": (base64.b64encode(body).decode() if binary else body.decode("utf-8", "replace")) if body else None,
        "isBase64Encoded": binary,
    }
    if view.timeout > INTEGRATION_TIMEOUT_SECONDS:
        view.timeout = INTEGRATION_TIMEOUT_SECONDS  # API Gateway stops waiting; the 504 below follows
    outcome = invoke_sync(view, json.dumps(event).encode())
    if outcome is None or not outcome.ok:
        if outcome is not None and outcome.timed_out and view.timeout == INTEGRATION_TIMEOUT_SECONDS:
            return _message(start_response, 504, "Endpoint request timed out", request_id)
        return _message(start_response, 502, "Internal server error", request_id)
    try:
        result = json.loads(outcome.payload or b"null")
        status = int(result["statusCode"])
    except (ValueError, TypeError, KeyError):
        return _message(start_response, 502, "Internal server error", request_id)
    out_headers: list[tuple[str, str]] = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
    for key, values in (result.get("multiValueHeaders") or {}).items():
        out_headers.extend((key, str(v)) for v in values)
    raw = result.get("body") or ""
    data = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    out_headers.append(("x-amzn-RequestId", request_id))
    if not any(k.lower() == "content-type" for k, _ in out_headers):
        out_headers.append(("Content-Type", "application/json"))
    start_response(f"{status} {STATUS_TEXT.get(status, 'Status')}", [("Content-Length", str(len(data))),
                   *[(k, v) for k, v in out_headers if k.lower() != "content-length"]])
    return [data]
