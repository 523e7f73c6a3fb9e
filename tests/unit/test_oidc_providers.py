"""OpenID Connect providers: the aggregate's rules (given events, when command, then events),
and token verification against a provider with an injected clock."""

from __future__ import annotations

import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from domain.account import AccountState, decide, fold
from domain.commands import (
    CreateAccount,
    CreateOpenIDConnectProvider,
    DeleteOpenIDConnectProvider,
    UpdateOpenIDConnectProvider,
)
from domain.errors import DomainError
from domain.iam.state import OidcProvider
from events.schemas import OidcProviderCreated, OidcProviderDeleted, OidcProviderUpdated
from services.api.sts.web_identity import (
    ExpiredTokenException,
    IDPRejectedClaim,
    InvalidIdentityToken,
    verified_claims,
)
from tests.unit.samples import ACCOUNT, NOW, context, replay

URL = "https://idp.example.test/t1"
ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.test/t1"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWKS = json.dumps({"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(
    KEY.public_key())), "kid": "k1"}]})


def _state(*commands: object) -> AccountState:
    return fold(AccountState(account_id=ACCOUNT),
                replay([CreateAccount(), *commands]))  # type: ignore[list-item]


def _code(state: AccountState, command: object) -> str:
    with pytest.raises(DomainError) as refused:
        decide(state, command, context())  # type: ignore[arg-type]
    return refused.value.code


def test_create_names_the_provider_by_host_and_path() -> None:
    """The ARN is `oidc-provider/<host/path>`; client ids are de-duplicated."""
    [event] = decide(_state(), CreateOpenIDConnectProvider(
        url=URL + "/", client_ids=("a", "b", "a"), jwks=JWKS), context())
    assert isinstance(event, OidcProviderCreated)
    assert (ARN, ("a", "b"), JWKS) == (event.arn, event.client_ids, event.jwks)


@pytest.mark.parametrize(("command", "code"), [
    (CreateOpenIDConnectProvider(url=URL), "EntityAlreadyExists"),
    (CreateOpenIDConnectProvider(url="http://idp.example.test"), "InvalidInput"),
    (CreateOpenIDConnectProvider(url="https://x.test/?a=1"), "InvalidInput"),
    (CreateOpenIDConnectProvider(url="https://x.test", thumbprints=("0" * 40,) * 6),
     "InvalidInput"),
    (CreateOpenIDConnectProvider(url="https://x.test",
                                 client_ids=tuple(str(i) for i in range(101))),
     "LimitExceeded"),
    (CreateOpenIDConnectProvider(url="https://x.test", jwks="[]"), "InvalidInput"),
    (UpdateOpenIDConnectProvider(arn=ARN + "x", add_client_id="c"), "NoSuchEntity"),
    (DeleteOpenIDConnectProvider(arn="arn:aws:iam::999999999999:oidc-provider/"
                                     "idp.example.test/t1"), "NoSuchEntity"),
])
def test_refusals(command: object, code: str) -> None:
    """Each rule's refusal has its AWS code (and so appends nothing)."""
    assert code == _code(_state(CreateOpenIDConnectProvider(url=URL)), command)


def test_loopback_http_issuer_is_accepted() -> None:
    """`http://` is refused except on a loopback host (local identity providers)."""
    [event] = decide(_state(), CreateOpenIDConnectProvider(url="http://127.0.0.1:8123/x"),
                     context())
    assert isinstance(event, OidcProviderCreated)
    assert event.arn.endswith(":oidc-provider/127.0.0.1:8123/x")


def test_updates_record_the_whole_new_state_and_repeats_append_nothing() -> None:
    """Add/remove client ids, thumbprints and JWKS; a change to the same state is no event."""
    state = _state(CreateOpenIDConnectProvider(url=URL, client_ids=("a",)))
    [added] = decide(state, UpdateOpenIDConnectProvider(arn=ARN, add_client_id="b"), context())
    assert isinstance(added, OidcProviderUpdated)
    assert (("a", "b"), (), None) == (added.client_ids, added.thumbprints, added.jwks)
    state = fold(state, [added])
    for same in (UpdateOpenIDConnectProvider(arn=ARN, add_client_id="a"),
                 UpdateOpenIDConnectProvider(arn=ARN, remove_client_id="zzz"),
                 UpdateOpenIDConnectProvider(arn=ARN, thumbprints=())):
        assert [] == decide(state, same, context())
    [keyed] = decide(state, UpdateOpenIDConnectProvider(arn=ARN, jwks=JWKS), context())
    state = fold(state, [keyed])
    assert JWKS == state.oidc_providers["idp.example.test/t1"].jwks
    [deleted] = decide(state, DeleteOpenIDConnectProvider(arn=ARN), context())
    assert isinstance(deleted, OidcProviderDeleted)
    assert {} == dict(fold(state, [deleted]).oidc_providers)


def _provider() -> OidcProvider:
    return OidcProvider(arn=ARN, url=URL, client_ids=("app",), thumbprints=(),
                        created_at=NOW, jwks=JWKS)


def _token(**claims: object) -> str:
    body = {"iss": URL, "aud": "app", "sub": "s", "exp": int(NOW.timestamp()) + 60, **claims}
    return jwt.encode(body, KEY, algorithm="RS256", headers={"kid": "k1"})


def test_expiry_and_not_before_follow_the_injected_clock() -> None:
    """`exp` and `nbf` are judged at the api's `now`, not the wall clock."""
    token = _token(nbf=int(NOW.timestamp()) - 10)
    assert "s" == verified_claims(token, _provider(), URL, NOW)["sub"]
    with pytest.raises(ExpiredTokenException):
        verified_claims(token, _provider(), URL, NOW + timedelta(seconds=60))
    with pytest.raises(IDPRejectedClaim):
        verified_claims(token, _provider(), URL, NOW - timedelta(seconds=11))


@pytest.mark.parametrize("token", [
    _token(aud="other"),
    jwt.encode(
        {"iss": URL, "aud": "app", "exp": int(NOW.timestamp()) + 60}, KEY, algorithm="RS256",
        headers={"kid": "k1"}),
    jwt.encode({"iss": URL, "aud": "app", "sub": "s", "exp": int(NOW.timestamp()) + 60},
               KEY, algorithm="RS256", headers={"kid": "unknown"}),
    jwt.encode({"iss": URL, "aud": "app", "sub": "s", "exp": int(NOW.timestamp()) + 60},
               "hmac-secret-is-not-allowed-here-at-all", algorithm="HS256",
               headers={"kid": "k1"}),
])
def test_invalid_tokens(token: str) -> None:
    """Wrong audience, no `sub`, unknown key id, a symmetric algorithm: InvalidIdentityToken."""
    with pytest.raises(InvalidIdentityToken):
        verified_claims(token, _provider(), URL, NOW)
