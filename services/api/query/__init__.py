"""The AWS Query protocol (IAM `2010-05-08`, STS `2011-06-15`), driven by botocore's models.

    protocol = QueryProtocol("iam")            # load and plan the model once, at start-up
    parsed = protocol.parse(pairs)             # pairs = parse_qsl(body, keep_blank_values=True)
    parsed.action, parsed.version, parsed.args # args keyed by model member names
    body = protocol.render(parsed, {"User": {...}}, request_id)
    status, body = protocol.render_error(error, request_id)  # any DomainError-like object

Public API:

* `QueryProtocol(service: Literal["iam", "sts"])`
  * `.parse(form: Sequence[tuple[str, str]]) -> ParsedRequest`
  * `.render(parsed: ParsedRequest, result: Mapping[str, Any], request_id: str) -> bytes`
  * `.render_error(error: RenderableError, request_id: str) -> tuple[int, bytes]`
  * `.operation_names`, `.version`, `.namespace`, `.service`
* `ParsedRequest(action: str, version: str, args: dict[str, Any])` (frozen). Values are `str`,
  `int`, `bool`, `datetime` (UTC), `bytes`, `list`, `dict` (structures and maps).
* `QueryError(DomainError)` and its subclasses (see `services.api.query.errors`); each is also
  the matching `domain.errors` class (`QueryValidationError` is a `ValidationError`).
* `RenderableError`: anything with `code`, `message`, `http_status` (an optional `fault`
  attribute, `"Sender"`/`"Receiver"`, overrides the default: Receiver for 5xx).

AWS behaviour followed where the protocol is loose:

* No `Action` → `MissingAction` 400 "Missing Action". An unknown action, or a `Version` that is
  missing or not the service's → `InvalidAction` 400 "Could not find operation <A> for version
  <V>" (`NO_VERSION_SPECIFIED` when absent): AWS routes on the (action, version) pair.
* A parameter given twice → `MalformedQueryString` 400 (no silent last-wins).
* Unknown parameters are ignored (AWS ignores them; SigV4's `X-Amz-*` query parameters are
  among them).
* Constraint violations → `ValidationError` 400, all at once: "N validation error(s) detected:
  Value '<v>' at '<path>' failed to satisfy constraint: Member must …; …". Paths are Coral's
  lower-camel member names, list elements `tags.1.member.key`; a missing required member is
  "Value null at 'userName' … Member must not be null"; sensitive values are not echoed
  ("Value at 'password' …"). Patterns are Java's, matched whole (see `patterns`).
* A value unreadable as its type (integer, boolean, timestamp, base64) →
  `InvalidParameterValue` 400.
* `Name=` (empty) is an empty list, as botocore sends one; `Name.member.N` indices are taken in
  numeric order.
"""

from services.api.query.errors import (
    QueryError,
    QueryInvalidAction,
    QueryInvalidParameterValue,
    QueryMalformedQueryString,
    QueryMissingAction,
    QueryValidationError,
    RenderableError,
)
from services.api.query.protocol import ParsedRequest, QueryProtocol

__all__ = [
    "ParsedRequest",
    "QueryError",
    "QueryInvalidAction",
    "QueryInvalidParameterValue",
    "QueryMalformedQueryString",
    "QueryMissingAction",
    "QueryProtocol",
    "QueryValidationError",
    "RenderableError",
]
