"""`QueryProtocol`: one service's Query API, decoded and encoded from botocore's model."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from botocore.loaders import Loader
from botocore.model import ServiceModel

from services.api.query.decode import build_tree, decode_input
from services.api.query.encode import encode_structure
from services.api.query.errors import (
    QueryInvalidAction,
    QueryInvalidParameterValue,
    QueryMalformedQueryString,
    QueryMissingAction,
    RenderableError,
    fault_type,
)
from services.api.query.plans import PlanBuilder, StructurePlan
from services.api.query.xml import escape

Service = Literal["iam", "sts"]
# Characters XML 1.0 cannot carry: C0 controls but tab, LF, CR; lone surrogates; U+FFFE/FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    """A decoded, validated Query request: arguments keyed by the model's member names."""

    action: str
    version: str
    args: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Operation:
    name: str
    input: StructurePlan | None
    output: StructurePlan | None
    wrapper: str | None
    open_tag: str
    close_tag: str


class QueryProtocol:
    """Parses and renders one service's Query API; build once at start-up and share."""

    def __init__(self, service: Service) -> None:
        model = ServiceModel(Loader().load_service_model(service, "service-2"), service)
        self.service: Service = service
        self.version: str = model.api_version
        self.namespace: str = model.metadata["xmlNamespace"]
        builder = PlanBuilder()
        self._operations: dict[str, _Operation] = {}
        for name in model.operation_names:
            operation = model.operation_model(name)
            input_plan = builder.plan(operation.input_shape) if operation.input_shape else None
            output_shape = operation.output_shape
            output_plan = builder.plan(output_shape) if output_shape is not None else None
            if not (input_plan is None or isinstance(input_plan, StructurePlan)) or not (
                output_plan is None or isinstance(output_plan, StructurePlan)
            ):
                raise TypeError(f"{service}:{name} has a non-structure input or output")
            self._operations[name] = _Operation(
                name=name,
                input=input_plan,
                output=output_plan,
                wrapper=(
                    output_shape.serialization.get("resultWrapper")
                    if output_shape is not None else None
                ),
                open_tag=f'<{name}Response xmlns="{self.namespace}">',
                close_tag=f"</{name}Response>",
            )

    @property
    def operation_names(self) -> frozenset[str]:
        """Every action the model defines."""
        return frozenset(self._operations)

    def parse(self, form: Sequence[tuple[str, str]]) -> ParsedRequest:
        """Decode and validate form (or query-string) pairs.

        Raises:
            QueryMalformedQueryString: a parameter appears twice.
            QueryMissingAction: no `Action`.
            QueryInvalidAction: an unknown action, or a missing or other `Version`.
            QueryInvalidParameterValue: a value unreadable as its type.
            QueryValidationError: the model's constraints (every violation in one message).
        """
        seen: dict[str, str] = {}
        for key, value in form:
            if key in seen:
                raise QueryMalformedQueryString(f"The parameter {key} was given more than once")
            seen[key] = value
        action = seen.get("Action", "")
        if not action:
            raise QueryMissingAction("Missing Action")
        version = seen.get("Version", "")
        operation = self._operations.get(action)
        if operation is None or version != self.version:
            raise QueryInvalidAction(
                f"Could not find operation {action} for version "
                f"{version or 'NO_VERSION_SPECIFIED'}"
            )
        if operation.input is None:
            return ParsedRequest(action, version, {})
        tree = build_tree(form, operation.input)
        decoded = decode_input(tree, operation.input)  # the model's patterns speak first
        for key, value in form:
            if _NOT_XML.search(key) or _NOT_XML.search(value):
                # Neither an XML answer nor a Postgres text column can carry these characters.
                raise QueryInvalidParameterValue(
                    f"The parameter {_NOT_XML.sub('?', key)[:64]} contains a character that is "
                    "not allowed (control characters other than tab, CR and LF).")
        return ParsedRequest(action, version, decoded)

    def render(self, parsed: ParsedRequest, result: Mapping[str, Any], request_id: str) -> bytes:
        """The success document for `parsed.action` with `result` (keys: output member names)."""
        operation = self._operations[parsed.action]
        out = [operation.open_tag]
        if operation.output is not None:
            if operation.wrapper:
                out.append(f"<{operation.wrapper}>")
                encode_structure(out, result, operation.output)
                out.append(f"</{operation.wrapper}>")
            else:
                encode_structure(out, result, operation.output)
        out.append("<ResponseMetadata><RequestId>")
        out.append(escape(request_id))
        out.append("</RequestId></ResponseMetadata>")
        out.append(operation.close_tag)
        return "".join(out).encode("utf-8")

    def render_error(self, error: RenderableError, request_id: str) -> tuple[int, bytes]:
        """The HTTP status and `<ErrorResponse>` document for any refusal."""
        body = (
            f'<ErrorResponse xmlns="{self.namespace}"><Error>'
            f"<Type>{fault_type(error)}</Type>"
            f"<Code>{escape(error.code)}</Code>"
            f"<Message>{escape(error.message)}</Message>"
            f"</Error><RequestId>{escape(request_id)}</RequestId></ErrorResponse>"
        )
        return error.http_status, body.encode("utf-8")
