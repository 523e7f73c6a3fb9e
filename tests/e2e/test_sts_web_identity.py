"""OpenID Connect providers and AssumeRoleWithWebIdentity with real boto3: key pairs made here,
a JWKS given from a file (and discovered from a loopback issuer), tokens valid, expired, of the
wrong audience, badly signed, not yet valid, of an unknown issuer; trust conditions on
`<provider>:sub`/`:aud`; session tags from the token; nothing secret on the log."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from events.topics import Topics
from tests.e2e.conftest import Account, Server, client
from tests.e2e.leaks import assert_nowhere
from tests.e2e.test_iam_users_keys import error_code
from tests.integration.harness import ROOT, read_topic

ISSUER = "https://idp.example.test/tenant-1"
HOST = "idp.example.test/tenant-1"
LIST_ROLES = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]})


class Idp:
    """An identity provider of this test: an RSA and an EC key pair, and their JWKS."""

    def __init__(self, issuer: str = ISSUER) -> None:
        self.issuer = issuer
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())

    def jwks(self) -> dict[str, Any]:
        """The public keys, as a JWKS."""
        rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.rsa.public_key()))
        ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.ec.public_key()))
        return {"keys": [{**rsa_jwk, "kid": "rsa-1", "alg": "RS256", "use": "sig"},
                         {**ec_jwk, "kid": "ec-1", "alg": "ES256", "use": "sig"}]}

    def token(self, *, aud: str | list[str] = "app-1", sub: str = "repo:main",
              lifetime: int = 600, algorithm: str = "RS256", key: Any = None,
              **claims: Any) -> str:
        """A signed ID token (RS256 with the RSA key unless told otherwise)."""
        now = int(time.time())
        body = {"iss": self.issuer, "aud": aud, "sub": sub, "iat": now, "exp": now + lifetime,
                **claims}
        signer = key or (self.rsa if algorithm.startswith("RS") else self.ec)
        kid = "rsa-1" if algorithm.startswith("RS") else "ec-1"
        return jwt.encode(body, signer, algorithm=algorithm, headers={"kid": kid})


def _trust(provider_arn: str, host: str = HOST, *actions: str, **conditions: Any) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn},
        "Action": ["sts:AssumeRoleWithWebIdentity", *actions],
        "Condition": {"StringEquals": {f"{host}:aud": "app-1", f"{host}:sub": "repo:main"},
                      **conditions}}]})


def _unsigned(server: Server) -> Any:
    return boto3.client("sts", endpoint_url=server.url, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED,
                                      retries={"max_attempts": 1}))


def _set_jwks(server: Server, arn: str, *source: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "oidc-providers", "set-jwks", "--arn", arn,
         *source], cwd=ROOT, env=server.env(), capture_output=True, text=True, timeout=60,
        check=False)


def _code(call: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return error_code(raised)


async def _assumed(server: Server) -> list[dict[str, Any]]:
    records = await read_topic(server.settings,
                               Topics.for_prefix(server.settings.topic_prefix).events)
    return [json.loads(r.value) for r in records
            if dict(r.headers).get("ce_type") == b"iamlog.role.assumed"]


def test_provider_lifecycle(server: Server, iam: Any, account: Account) -> None:
    """Create, Get, List, client ids, thumbprints, Delete; errors EntityAlreadyExists,
    InvalidInput, NoSuchEntity."""
    created = iam.create_open_id_connect_provider(
        Url="https://login.example.test/", ClientIDList=["a", "b", "a"],
        ThumbprintList=["0" * 40], Tags=[{"Key": "team", "Value": "idp"}])
    arn = created["OpenIDConnectProviderArn"]
    assert f"arn:aws:iam::{account.account_id}:oidc-provider/login.example.test" == arn
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert ("login.example.test", ["a", "b"], ["0" * 40], [{"Key": "team", "Value": "idp"}]) == (
        got["Url"], got["ClientIDList"], got["ThumbprintList"], got["Tags"])
    assert {"Arn": arn} in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert ("EntityAlreadyExists", 409) == _code(iam.create_open_id_connect_provider,
                                                 Url="https://login.example.test")
    for url in ("http://login.example.test", "https://login.example.test/x?q=1", "ftp://x"):
        assert ("InvalidInput", 400) == _code(iam.create_open_id_connect_provider, Url=url)
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="c")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                                       ClientID="a")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                                       ClientID="zzz")  # absent: fine
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn,
                                                   ThumbprintList=["1" * 40, "2" * 40])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert (["b", "c"], ["1" * 40, "2" * 40]) == (got["ClientIDList"], got["ThumbprintList"])
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    for call in (iam.get_open_id_connect_provider, iam.delete_open_id_connect_provider):
        assert ("NoSuchEntity", 404) == _code(call, OpenIDConnectProviderArn=arn)
    # a user needs iam:CreateOpenIDConnectProvider like any IAM call
    iam.create_user(UserName="oidc-nobody")
    key = iam.create_access_key(UserName="oidc-nobody")["AccessKey"]
    nobody = client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    assert ("AccessDenied", 403) == _code(nobody.create_open_id_connect_provider,
                                          Url="https://other.example.test")
    assert ("AccessDenied", 403) == _code(nobody.list_open_id_connect_providers)


async def test_web_identity_tokens(server: Server, iam: Any, account: Account,
                                   tmp_path: Path) -> None:
    """A valid token (RS256 or ES256) gets role credentials; expired, wrong audience, badly
    signed, not yet valid, unknown issuer, refused subject: their errors, and no event."""
    idp = Idp()
    arn = iam.create_open_id_connect_provider(Url=ISSUER, ClientIDList=["app-1", "app-2"])[
        "OpenIDConnectProviderArn"]
    role = iam.create_role(RoleName="ci", AssumeRolePolicyDocument=_trust(arn))["Role"]
    iam.put_role_policy(RoleName="ci", PolicyName="list", PolicyDocument=LIST_ROLES)
    sts = _unsigned(server)
    # no JWKS yet: the key cannot be found
    assert ("InvalidIdentityToken", 400) == _code(
        sts.assume_role_with_web_identity, RoleArn=role["Arn"], RoleSessionName="ci",
        WebIdentityToken=idp.token())
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(idp.jwks()))
    done = _set_jwks(server, arn, "--jwks-file", str(jwks_file))
    assert (0, "updated") == (done.returncode, done.stdout.strip()), done.stderr

    token = idp.token()
    answer = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="build-7",
                                               WebIdentityToken=token, DurationSeconds=900)
    assumed_arn = f"arn:aws:sts::{account.account_id}:assumed-role/ci/build-7"
    assert (assumed_arn, "repo:main", "app-1", ISSUER) == (
        answer["AssumedRoleUser"]["Arn"], answer["SubjectFromWebIdentityToken"],
        answer["Audience"], answer["Provider"])
    creds = answer["Credentials"]
    args = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert assumed_arn == client(server, "sts", *args).get_caller_identity()["Arn"]
    assert "ci" in {r["RoleName"] for r in client(server, "iam", *args).list_roles()["Roles"]}
    es = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="es",
                                           WebIdentityToken=idp.token(algorithm="ES256"))
    assert es["Credentials"]["AccessKeyId"].startswith("ASIA")

    events_before = len(await _assumed(server))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_idp = Idp("https://other.example.test")
    cases: list[tuple[str, tuple[str, int]]] = [
        (idp.token(lifetime=-5), ("ExpiredTokenException", 400)),
        (idp.token(aud="someone-else"), ("InvalidIdentityToken", 400)),
        (idp.token(key=stranger), ("InvalidIdentityToken", 400)),  # badly signed
        (token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
         ("InvalidIdentityToken", 400)),  # altered signature
        (idp.token(nbf=int(time.time()) + 600), ("IDPRejectedClaim", 403)),
        (other_idp.token(), ("InvalidIdentityToken", 400)),  # no such provider
        ("not.a.jwt", ("InvalidIdentityToken", 400)),
        (idp.token(sub="repo:feature"), ("AccessDenied", 403)),  # trust condition on :sub
        (idp.token(aud="app-2"), ("AccessDenied", 403)),  # a client id the trust refuses
    ]
    for bad, expected in cases:
        assert expected == _code(sts.assume_role_with_web_identity, RoleArn=role["Arn"],
                                 RoleSessionName="bad", WebIdentityToken=bad), bad
    missing = f"arn:aws:iam::{account.account_id}:role/nope"
    assert ("AccessDenied", 403) == _code(sts.assume_role_with_web_identity, RoleArn=missing,
                                          RoleSessionName="bad", WebIdentityToken=token)
    assert ("ValidationError", 400) == _code(sts.assume_role_with_web_identity,
                                             RoleArn=role["Arn"], RoleSessionName="long",
                                             WebIdentityToken=token, DurationSeconds=7200)
    assert events_before == len(await _assumed(server))  # refusals record nothing

    # the event names the provider as the caller; no token or secret anywhere
    mine = [e for e in await _assumed(server) if e["session_key_id"] == creds["AccessKeyId"]]
    assert [(role["Arn"], arn, "build-7")] == [
        (e["role_arn"], e["caller_arn"], e["role_session_name"]) for e in mine]
    await assert_nowhere(server, token, creds["SecretAccessKey"], creds["SessionToken"])

    # removing the client id, or the provider, ends what its tokens can do
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                                       ClientID="app-1")
    assert ("InvalidIdentityToken", 400) == _code(
        sts.assume_role_with_web_identity, RoleArn=role["Arn"], RoleSessionName="gone",
        WebIdentityToken=idp.token())
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert ("InvalidIdentityToken", 400) == _code(
        sts.assume_role_with_web_identity, RoleArn=role["Arn"], RoleSessionName="gone",
        WebIdentityToken=idp.token(aud="app-2"))
    # set-jwks refuses what is not a JWKS, and a provider that does not exist
    jwks_file.write_text('{"keys": "nope"}')
    assert 1 == _set_jwks(server, arn, "--jwks-file", str(jwks_file)).returncode


def test_session_tags_from_the_token(server: Server, iam: Any, tmp_path: Path) -> None:
    """The `https://aws.amazon.com/tags` claim tags the session; it needs sts:TagSession."""
    idp = Idp("https://tags.example.test")
    host = "tags.example.test"
    arn = iam.create_open_id_connect_provider(Url=idp.issuer, ClientIDList=["app-1"])[
        "OpenIDConnectProviderArn"]
    (tmp_path / "jwks.json").write_text(json.dumps(idp.jwks()))
    assert 0 == _set_jwks(server, arn, "--jwks-file", str(tmp_path / "jwks.json")).returncode
    tagged = iam.create_role(RoleName="tagged-ci", AssumeRolePolicyDocument=_trust(
        arn, host, "sts:TagSession"))["Role"]
    iam.put_role_policy(RoleName="tagged-ci", PolicyName="by-tag", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]}))
    untagged = iam.create_role(RoleName="untagged-ci",
                               AssumeRolePolicyDocument=_trust(arn, host))["Role"]
    claim = {"https://aws.amazon.com/tags": {"principal_tags": {"team": ["blue"]},
                                             "transitive_tag_keys": ["team"]}}
    sts = _unsigned(server)
    answer = sts.assume_role_with_web_identity(RoleArn=tagged["Arn"], RoleSessionName="tt",
                                               WebIdentityToken=idp.token(**claim))
    creds = answer["Credentials"]
    session_iam = client(server, "iam", creds["AccessKeyId"], creds["SecretAccessKey"],
                         creds["SessionToken"])
    assert "tagged-ci" in {r["RoleName"] for r in session_iam.list_roles()["Roles"]}
    assert ("AccessDenied", 403) == _code(sts.assume_role_with_web_identity,
                                          RoleArn=untagged["Arn"], RoleSessionName="tt",
                                          WebIdentityToken=idp.token(**claim))
    bad = {"https://aws.amazon.com/tags": {"principal_tags": {"k" * 129: ["v"]}}}
    assert ("IDPRejectedClaim", 403) == _code(sts.assume_role_with_web_identity,
                                              RoleArn=tagged["Arn"], RoleSessionName="tt",
                                              WebIdentityToken=idp.token(**bad))


@pytest.fixture
def loopback_idp() -> Iterator[tuple[Idp, str]]:
    """An issuer on 127.0.0.1 serving its discovery document and JWKS."""
    holder: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            idp_ = holder["idp"]
            body = (json.dumps({"issuer": idp_.issuer, "jwks_uri": idp_.issuer + "/keys"})
                    if self.path == "/.well-known/openid-configuration"
                    else json.dumps(idp_.jwks()) if self.path == "/keys" else None)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write((body or "").encode())

        def log_message(self, *_: Any) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["idp"] = Idp(f"http://127.0.0.1:{http.server_address[1]}")
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["idp"], f"127.0.0.1:{http.server_address[1]}"
    finally:
        http.shutdown()
        http.server_close()


def test_loopback_issuer_keys_are_discovered_at_registration(
        server: Server, iam: Any, loopback_idp: tuple[Idp, str]) -> None:
    """An issuer on a loopback host has its JWKS read at CreateOpenIDConnectProvider."""
    idp, host = loopback_idp
    arn = iam.create_open_id_connect_provider(Url=idp.issuer, ClientIDList=["app-1"])[
        "OpenIDConnectProviderArn"]
    role = iam.create_role(RoleName=f"local-{uuid.uuid4().hex[:6]}",
                           AssumeRolePolicyDocument=_trust(arn, host))["Role"]
    answer = _unsigned(server).assume_role_with_web_identity(
        RoleArn=role["Arn"], RoleSessionName="local", WebIdentityToken=idp.token())
    assert idp.issuer == answer["Provider"]
    # the CLI reads the same keys through --discover and changes nothing
    done = _set_jwks(server, arn, "--discover", idp.issuer)
    assert (0, "unchanged") == (done.returncode, done.stdout.strip()), done.stderr
    # an issuer whose discovery fails cannot be registered
    assert ("OpenIdIdpCommunicationError", 400) == _code(
        iam.create_open_id_connect_provider, Url=idp.issuer + "/missing",
        ClientIDList=["app-1"])
