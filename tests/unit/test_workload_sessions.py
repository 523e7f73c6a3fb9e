"""The one builder of workload session commands, and minting a session from its event."""

from __future__ import annotations

import re
from datetime import timedelta

from domain.account import decide, fold
from domain.commands import CreateRole
from domain.iam.state import AccountState
from events.schemas import SessionRenewed, WorkloadSessionIssued
from services.credentials import workload_sessions as ws
from services.credentials.master_keys import MasterKeys
from services.credentials.session_tokens import SessionTokens, derive_session_secret
from tests.unit.iam_history import history
from tests.unit.samples import ACCOUNT, NOW, context
from tests.unit.test_instance_profiles import TRUST

KEYS = MasterKeys({1: bytes(range(32)), 2: bytes(range(100, 132))})


def _bound(token: str) -> tuple[AccountState, WorkloadSessionIssued]:
    state = fold(AccountState(account_id=ACCOUNT),
                 history(CreateRole(role_name="Web", assume_role_policy_document=TRUST)))
    command = ws.binding("api", token, NOW, 600, 2, profile_name="Web", role_name="Web")
    events = decide(state, command, context())
    issued = events[-1]
    assert isinstance(issued, WorkloadSessionIssued)
    return fold(state, events), issued


def test_binding_keeps_only_the_token_digest_and_a_fresh_session() -> None:
    """The bind command holds the token's SHA-256, an ASIA key id, a 16-byte salt and the
    lifetime asked for; the token itself is nowhere in it."""
    token = ws.new_token()
    command = ws.binding("api", token, NOW, 600, 2, profile_name="Web", role_name="Web")

    assert token not in command.model_dump_json()
    assert ws.token_digest(token) == command.bearer_sha256
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", command.session_key_id)
    assert (32, 2, NOW + timedelta(seconds=600)) == (
        len(command.salt), command.master_key_version, command.expires_at)


def test_token_matches_only_its_own_digest() -> None:
    """The digest comparison accepts the token and nothing else."""
    token = ws.new_token()

    assert (True, False, False) == (ws.token_matches(token, ws.token_digest(token)),
                                    ws.token_matches(token + "x", ws.token_digest(token)),
                                    ws.token_matches("", ws.token_digest(token)))


def test_renewal_is_accepted_once_by_the_domain() -> None:
    """`renewal` builds the command the scheduler sends: accepted for the current session,
    with a new id, key id and salt each time."""
    state, issued = _bound(ws.new_token())
    later = NOW + timedelta(seconds=300)
    command = ws.renewal("api", issued.session_id, later, 600, 2)
    (renewed,) = decide(state, command, context())

    assert isinstance(renewed, SessionRenewed)
    assert (issued.session_id, later + timedelta(seconds=600)) == (
        renewed.old_session_id, renewed.expires_at)
    assert len({issued.session_key_id, renewed.session_key_id,
                ws.renewal("api", issued.session_id, later, 600, 2).session_key_id}) == 3


def test_minted_credentials_are_an_assumed_role_session_of_the_workload() -> None:
    """The secret is the session secret derived from the event's salt; the token opens to
    the assumed-role ARN named after the workload, with the event's key id and expiry."""
    _, issued = _bound(ws.new_token())
    tokens = SessionTokens(KEYS)
    claims = ws.claims_of(issued)
    secret, token = ws.mint(tokens, claims, issued.master_key_version)
    opened, version = tokens.open(token)

    assert derive_session_secret(KEYS.get(2), issued.session_key_id, issued.salt) == secret
    assert (f"arn:aws:sts::{ACCOUNT}:assumed-role/Web/api", "assumed_role", "api",
            issued.session_key_id, int(issued.expires_at.timestamp()), 2) == (
        opened.arn, opened.kind, opened.session_name, opened.access_key_id,
        opened.expires_at, version)
    assert secret == tokens.verify(token, issued.session_key_id, NOW)[1]
