"""Helpers of the hostile-input tests: send anything, then prove nothing changed."""

from __future__ import annotations

import re
import uuid

import httpx

from events.topics import Topics
from services.bench.mixed import Principal
from tests.e2e.conftest import Account, Server
from tests.e2e.signing import signed_query
from tests.integration.harness import read_topic

# Every refusal a hostile request may get: AWS's codes, never a server error.
AWS_CODES = frozenset({
    "AccessDenied", "InvalidClientTokenId", "SignatureDoesNotMatch", "IncompleteSignature",
    "MissingAuthenticationToken", "RequestExpired", "ExpiredToken", "ValidationError",
    "MissingParameter", "MissingAction", "InvalidAction", "InvalidParameterValue",
    "InvalidParameterCombination", "MalformedQueryString", "MalformedPolicyDocument",
    "LimitExceeded", "EntityAlreadyExists", "DeleteConflict", "NoSuchEntity",
    "RequestEntityTooLarge", "InvalidInput", "PackedPolicyTooLarge", "UnmodifiableEntity",
    "InvalidIdentityToken", "RegionDisabledException", "ConcurrentModification",
    "InvalidAuthorizationMessageException", "IDPRejectedClaim", "ReportNotPresent",
    "ReportGenerationLimitExceeded", "InvalidUserType", "EntityTemporarilyUnmodifiable",
    "OpenIdIdpCommunicationError", "PolicyNotAttachable",
})
_CODE = re.compile(r"<Code>([^<]*)</Code>")


def root_of(account: Account) -> Principal:
    """The account's root key as a signing principal."""
    return Principal(account.access_key_id, account.secret_access_key)


def refusal(answer: httpx.Response) -> tuple[int, str]:
    """Status and AWS error code of a refused Query API request (asserting it is one)."""
    found = _CODE.search(answer.text)
    assert found is not None, (answer.status_code, answer.text[:500])
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:500])
    assert found.group(1) in AWS_CODES, answer.text[:500]
    assert "<RequestId>" in answer.text
    return answer.status_code, found.group(1)


def still_serving(server: Server, account: Account) -> None:
    """A valid request right after the hostile ones succeeds."""
    with httpx.Client(timeout=30) as http:
        answer = signed_query(http, server.url, "sts", "GetCallerIdentity", root_of(account))
    assert 200 == answer.status_code, answer.text
    assert f"<Account>{account.account_id}</Account>" in answer.text


async def assert_no_events_from(server: Server, request_ids: list[str]) -> None:
    """None of these requests appended an event (the api's request id is their trace id)."""
    assert request_ids
    traces = {uuid.UUID(request_id).hex for request_id in request_ids}
    records = await read_topic(server.settings, Topics.for_prefix(
        server.settings.topic_prefix).events)
    appended = [dict(r.headers).get("ce_traceparent", b"").decode() for r in records]
    assert [] == [parent for parent in appended if parent[3:35] in traces]
