"""Requests serialized by botocore parse to their params; responses we render parse back."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.api.query import ParsedRequest
from tests.unit.query.models import (
    CASES,
    decode_response,
    encode_request,
    operation_model,
    protocol,
    service_model,
)
from tests.unit.query.strategies import shape_strategy

_SETTINGS = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)


def _input(service: str, name: str) -> st.SearchStrategy[dict[str, Any]]:
    shape = operation_model(service, name).input_shape
    return st.just({}) if shape is None else shape_strategy(shape)


def _output(service: str, name: str) -> st.SearchStrategy[dict[str, Any]]:
    shape = operation_model(service, name).output_shape
    return st.just({}) if shape is None else shape_strategy(shape)


@pytest.mark.parametrize(("service", "name"), CASES)
def test_botocore_requests_parse_to_their_params(service: str, name: str) -> None:
    """Whatever boto3 sends for a valid call comes out as the same arguments."""

    @_SETTINGS
    @given(params=_input(service, name))
    def check(params: dict[str, Any]) -> None:
        parsed = protocol(service).parse(encode_request(service, name, params))
        assert (name, params) == (parsed.action, parsed.args)

    check()


@pytest.mark.parametrize(("service", "name"), CASES)
def test_rendered_results_parse_back_through_botocore(service: str, name: str) -> None:
    """botocore's parser reads back exactly the result we rendered, and the request id."""
    parsed = ParsedRequest(name, protocol(service).version, {})

    @_SETTINGS
    @given(result=_output(service, name))
    def check(result: dict[str, Any]) -> None:
        body = protocol(service).render(parsed, result, "req-1")
        decoded = decode_response(service, name, body)
        metadata = decoded.pop("ResponseMetadata")
        assert "req-1" == metadata["RequestId"]
        assert result == decoded

    check()


_OTHERS = tuple(
    (service, name)
    for service in ("iam", "sts")
    for name in sorted(service_model(service).operation_names)
    if (service, name) not in CASES
)


@pytest.mark.parametrize(("service", "name"), _OTHERS)
def test_every_other_operation_round_trips(service: str, name: str) -> None:
    """The rest of both models, more lightly: a few requests and responses each."""

    @settings(max_examples=2, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(params=_input(service, name), result=_output(service, name))
    def check(params: dict[str, Any], result: dict[str, Any]) -> None:
        parsed = protocol(service).parse(encode_request(service, name, params))
        assert params == parsed.args
        decoded = decode_response(service, name, protocol(service).render(parsed, result, "r"))
        decoded.pop("ResponseMetadata")
        assert result == decoded

    check()
