"""`POST /`: the AWS Query API (IAM `2010-05-08`, STS `2011-06-15`) behind SigV4.

Order of checks, as AWS does it: body size, signature (which names the service through its
credential scope), then the form, then authorization inside the handler. A refused request
changes nothing: handlers send their command only after authorization passed.
"""

from __future__ import annotations

import functools
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

import structlog

from domain.errors import DomainError, ValidationError
from services import metrics
from services.api import sts  # noqa: F401 - importing registers the STS handlers
from services.api.app import Receive, Scope, Send
from services.api.authn import KeyResolver, authenticate
from services.api.authz import AccessDenied
from services.api.caller import anonymous_caller
from services.api.iam import HANDLERS, Call
from services.api.key_usage import KeyUsage
from services.api.query import QueryProtocol
from services.api.runtime import ApiRuntime
from services.command_client import ServiceUnavailable
from services.credentials.authorization_messages import messages_for
from services.database_outage import DATABASE_UNAVAILABLE

MAX_BODY = 1024 * 1024
log = structlog.get_logger("iamlog.api")


class RequestTooLarge(DomainError):
    """The body exceeds 1 MiB; it is refused before it is parsed."""

    code = "RequestEntityTooLarge"
    http_status = 413


class QueryApi:
    """Parses, authenticates, dispatches and renders one Query API request (an ASGI app)."""

    def __init__(self, runtime: ApiRuntime) -> None:
        self.runtime = runtime
        self.resolver = KeyResolver(runtime.index, runtime.master_keys, runtime.clock.now)
        self.usage = KeyUsage(runtime)
        self.protocols = {"iam": QueryProtocol("iam"), "sts": QueryProtocol("sts")}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        outcome = _Outcome()
        request_id = str(uuid.uuid4())
        declared, traceparent_header = _headers_of_interest(scope["headers"])
        # Every log line of this request carries its id; its commands' events carry the trace.
        traceparent = trace_context(traceparent_header, request_id)
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            status, body = await self._handle(scope, receive, declared, outcome=outcome,
                                              request_id=request_id, traceparent=traceparent)
            elapsed = time.perf_counter() - started
            log.info("request", action=outcome.action, outcome=outcome.code, status=status,
                     ms=round(elapsed * 1000, 2))
        finally:
            structlog.contextvars.reset_contextvars(**tokens)
        count, latency = _request_metrics(outcome.action, outcome.code)
        count.inc()
        latency.observe(elapsed)
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"text/xml; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"x-amzn-requestid", request_id.encode()),
        ]})
        await send({"type": "http.response.body", "body": body})

    async def _handle(self, scope: Scope, receive: Receive, declared: bytes | None, *,
                      outcome: _Outcome, request_id: str,
                      traceparent: str) -> tuple[int, bytes]:
        protocol = self.protocols["iam"]
        try:
            body = await _read_body(receive, declared)
            try:
                caller, service = authenticate(self.runtime, self.resolver, scope, body)
            except DomainError as exc:
                if exc.code != "MissingAuthenticationToken" or not _unsigned_call(body):
                    metrics.AUTH_FAILURES.labels(exc.code).inc()
                    raise
                caller, service = anonymous_caller(), "sts"
            protocol = self.protocols.get(service) or protocol
            if service not in self.protocols:
                raise ValidationError(f"Service {service} is not served here.")
            parsed = protocol.parse(parse_qsl(body.decode("utf-8", "strict"),
                                              keep_blank_values=True))
            handler = HANDLERS.get((service, parsed.action))
            outcome.action = parsed.action  # a model operation name: a bounded label
            if handler is None:
                raise _not_implemented(parsed.action)
            call = Call(self.runtime, caller, parsed.args, request_id, self.runtime.clock.now(),
                        traceparent=traceparent)
            self.usage.seen(caller, service, call.now)
            result = await handler(call)
            return 200, protocol.render(parsed, result, request_id)
        except UnicodeDecodeError:
            outcome.code = ValidationError.code
            return protocol.render_error(
                ValidationError("The request body is not valid UTF-8."), request_id)
        except DomainError as exc:
            outcome.code = exc.code if exc.code in _KNOWN_CODES else "other"
            if isinstance(exc, AccessDenied) and exc.explanation is not None and exc.account_id:
                encoded = messages_for(self.runtime.master_keys).encode(exc.account_id,
                                                                        exc.explanation)
                exc = AccessDenied(f"{exc.message} Encoded authorization failure message: "
                                   f"{encoded}", account_id=exc.account_id)
            return protocol.render_error(exc, request_id)
        except DATABASE_UNAVAILABLE as exc:  # an outage of the read models: a retryable 503
            outcome.code = ServiceUnavailable.code
            await self.runtime.read_models_failed()
            log.warning("read models unavailable", error=type(exc).__name__)
            return protocol.render_error(
                ServiceUnavailable("The read models are unavailable; retry."), request_id)
        except Exception:  # a defect: IAM's ServiceFailure (500) with the request id, logged
            outcome.code = DomainError.code
            log.exception("request failed")
            return protocol.render_error(
                DomainError("The request processing has failed because of an unknown error."),
                request_id)


# STS actions that botocore sends without a signature (`"auth": ["smithy.api#noAuth"]`).
_UNSIGNED_ACTIONS = frozenset({"AssumeRoleWithWebIdentity"})


def _unsigned_call(body: bytes) -> bool:
    """True for a form naming an STS action that needs no signature."""
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return form.get("Action") in _UNSIGNED_ACTIONS and form.get("Version") == "2011-06-15"


_KNOWN_CODES = frozenset({
    "AccessDenied", "InvalidClientTokenId", "SignatureDoesNotMatch", "IncompleteSignature",
    "MissingAuthenticationToken", "RequestExpired", "ExpiredToken", "ValidationError",
    "MissingParameter", "MissingAction", "InvalidAction", "InvalidParameterValue",
    "MalformedQueryString", "MalformedPolicyDocument", "LimitExceeded", "EntityAlreadyExists",
    "DeleteConflict", "NoSuchEntity", "ServiceUnavailable", "RequestEntityTooLarge",
    "ServiceFailure",
    "InvalidInput", "PackedPolicyTooLarge", "InvalidIdentityToken", "ExpiredTokenException",
    "IDPRejectedClaim", "OpenIdIdpCommunicationError", "InvalidAuthorizationMessageException",
})


class _Outcome:
    """What a request's metrics are labelled with; both labels have bounded values."""

    __slots__ = ("action", "code")

    def __init__(self) -> None:
        self.action = "unknown"
        self.code = "ok"


@functools.cache
def _request_metrics(action: str, code: str) -> tuple[Any, Any]:
    """The labelled children of the request metrics (both labels have bounded values, and
    `labels()` takes a lock and builds a key on every call)."""
    return (metrics.API_REQUESTS.labels(action, code),
            metrics.API_REQUEST_SECONDS.labels(action))


_TRACEPARENT = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")


def trace_context(header: str | None, request_id: str) -> str:
    """The W3C `traceparent` of a request: the caller's if valid, else one from the request id."""
    if header is not None and _TRACEPARENT.fullmatch(header.strip()):
        return header.strip()
    hexed = request_id.replace("-", "")
    return f"00-{hexed}-{hexed[:16]}-01"


def _headers_of_interest(headers: list[tuple[bytes, bytes]]) -> tuple[bytes | None, str | None]:
    """`content-length` and `traceparent`, from the raw header list (names are lower case)."""
    declared: bytes | None = None
    traceparent: str | None = None
    for name, value in headers:
        if name == b"content-length":
            declared = value
        elif name == b"traceparent":
            traceparent = value.decode("latin-1")
    return declared, traceparent


def _not_implemented(action_name: str) -> DomainError:
    from domain.errors import InvalidAction  # noqa: PLC0415

    return InvalidAction(f"Could not find operation {action_name} for version 2010-05-08")


async def _read_body(receive: Receive, declared: bytes | None) -> bytes:
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise RequestTooLarge("Request body must not exceed 1048576 bytes.")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: nothing to answer
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise RequestTooLarge("Request body must not exceed 1048576 bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
