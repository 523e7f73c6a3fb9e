"""Property tests: hypothesis over Query API operations and parameters, schemathesis over the
JSON endpoints' OpenAPI document. Never a server error; a refusal appends nothing."""

from __future__ import annotations

import asyncio
from typing import Any
from xml.etree import ElementTree

import httpx
import schemathesis
from botocore.loaders import Loader
from botocore.model import ServiceModel
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.api.openapi import DOCUMENT
from tests.e2e.conftest import Account, Server
from tests.e2e.hostile import assert_no_events_from, refusal, root_of, still_serving
from tests.e2e.signing import signed_query

MODELS = {name: ServiceModel(Loader().load_service_model(name, "service-2"), name)
          for name in ("iam", "sts")}
ODD = ["", " ", "*", "../../x", "arn:aws:iam::000000000000:root", "%00", "a" * 2049, "{}",
       "[", "\u03a9", "-1", "99999999999999999999", "true", "\t", "\u202e", "1e999",
       '{"Version": "2012-10-17", "Statement": []}', "arn:aws:iam::*:role/*", "/", "//"]
VALUES = st.one_of(st.text(max_size=60), st.sampled_from(ODD),
                   st.integers(-2**63, 2**63).map(str))


def _members(service: str, action: str) -> list[str]:
    model = MODELS[service]
    if action not in model.operation_names:
        return []
    shape = model.operation_model(action).input_shape
    return list(shape.members) if shape is not None else []


@st.composite
def query_requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str]]:
    """A service, an action (mostly real ones) and parameters (mostly its members)."""
    service = draw(st.sampled_from(sorted(MODELS)))
    action = draw(st.one_of(st.sampled_from(MODELS[service].operation_names),
                            st.sampled_from(ODD), st.text(max_size=30)))
    members = _members(service, action) or ["Name"]
    keys = draw(st.lists(st.one_of(
        st.sampled_from(members),
        st.sampled_from([f"{m}.member.{n}" for m in members for n in (1, 2)]),
        st.sampled_from([f"{m}.entry.1.key" for m in members]),
        st.text(min_size=1, max_size=20)), max_size=6, unique=True))
    params = {key: draw(VALUES) for key in keys if key not in ("Action", "Version")}
    return service, action, params


async def test_fuzzed_query_api_requests(server: Server, account: Account) -> None:
    """Random operations and parameters, correctly signed: each answer is a well-formed
    success or an AWS error (never 5xx); refused ones append nothing; the server keeps up."""
    refused: list[str] = []
    answered: list[int] = []

    @settings(max_examples=300, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(request=query_requests())
    def one(request: tuple[str, str, dict[str, str]]) -> None:
        service, action, params = request
        answer = signed_query(http, server.url, service, action, root_of(account), **params)
        answered.append(answer.status_code)
        if answer.status_code == 200:
            ElementTree.fromstring(answer.content)  # noqa: S314 - our own server's document
        else:
            refusal(answer)
            refused.append(answer.headers["x-amzn-requestid"])

    with httpx.Client(timeout=30) as http:
        await asyncio.to_thread(one)
    assert len(answered) >= 300
    assert len(refused) >= 150, len(refused)
    still_serving(server, account)
    await assert_no_events_from(server, refused)


OPENAPI = schemathesis.openapi.from_path(DOCUMENT)


@OPENAPI.parametrize()
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_json_endpoints_against_their_openapi_document(case: Any, server: Server,
                                                       account: Account) -> None:
    """Schemathesis: valid and invalid bodies for every documented operation; never a server
    error, every answer matches the document's status codes, content types and schemas."""
    response = case.call(base_url=server.url)
    case.validate_response(response)
