"""Workload bindings through the CLI, and their credentials through the container-credentials
endpoint, fetched by botocore's own container credential provider."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

import botocore.session
import pytest
from botocore.credentials import ContainerProvider, CredentialResolver
from botocore.exceptions import ClientError

from events.topics import Topics
from tests.e2e.conftest import Account, Server, client
from tests.e2e.leaks import assert_nowhere
from tests.e2e.test_iam_roles import TRUST
from tests.integration.harness import ROOT, read_topic

T = TypeVar("T")


def workloads(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    """`iamlog workloads …` against the server's stack."""
    return subprocess.run([sys.executable, "-m", "services.cli.main", "workloads", *args],
                          cwd=ROOT, env=server.env(), capture_output=True, text=True,
                          timeout=60, check=False)


def ok(done: subprocess.CompletedProcess[str]) -> Any:
    """The JSON a successful CLI call printed."""
    assert 0 == done.returncode, done.stderr
    return json.loads(done.stdout)


def fetch(server: Server, profile: str, authorization: str | None) -> tuple[int, Any]:
    """GET /v1/credentials/<profile>: the status and the JSON body."""
    request = urllib.request.Request(  # noqa: S310 - the loopback server
        f"{server.url}/v1/credentials/{profile}")
    if authorization is not None:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - loopback
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def soon(probe: Callable[[], T], accept: Callable[[T], bool], seconds: float = 5.0) -> T:
    """Poll `probe` until `accept` holds (the api reads the log a few ms after the CLI's
    command committed)."""
    deadline = time.monotonic() + seconds
    value = probe()
    while not accept(value) and time.monotonic() < deadline:
        time.sleep(0.02)
        value = probe()
    return value


def _users(iam: Any) -> list[Any] | None:
    """ListUsers' users, or None while it is refused."""
    try:
        return list(iam.list_users()["Users"])
    except ClientError:
        return None


def container_session(server: Server, profile: str, token: str) -> botocore.session.Session:
    """A botocore session whose only credential source is the container provider."""
    session = botocore.session.Session()
    provider = ContainerProvider(environ={
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{server.url}/v1/credentials/{profile}",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": token})
    session.register_component("credential_provider", CredentialResolver([provider]))
    return session


def test_bound_workload_gets_credentials_that_sign_as_the_role(
        server: Server, iam: Any, account: Account) -> None:
    """`bind --role` prints the token once; botocore's container provider fetches session
    credentials with it and `GetCallerIdentity` answers the assumed-role ARN; the session is
    authorized as the role (no policies: IAM calls refused)."""
    role_id = iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(TRUST))[
        "Role"]["RoleId"]
    bound = ok(workloads(server, "bind", "--account", account.account_id, "--role", "web",
                         "--workload", "api-1"))
    assert ("api-1", "web") == (bound["Workload"], bound["Profile"])
    assert ["web"] == [r["RoleName"] for r in iam.get_instance_profile(
        InstanceProfileName="web")["InstanceProfile"]["Roles"]]

    status, body = soon(lambda: fetch(server, "web", bound["Token"]), lambda r: r[0] == 200)
    assert (200, "Success", "AWS-HMAC") == (status, body["Code"], body["Type"])
    assert body["AccessKeyId"].startswith("ASIA")
    assert (200, body["AccessKeyId"]) == (
        fetch(server, "web", f"Bearer {bound['Token']}")[0],
        fetch(server, "web", f"Bearer {bound['Token']}")[1]["AccessKeyId"])

    sts = container_session(server, "web", bound["Token"]).create_client(
        "sts", endpoint_url=server.url, region_name="us-east-1")
    identity = sts.get_caller_identity()
    assert (f"arn:aws:sts::{account.account_id}:assumed-role/web/api-1", account.account_id,
            f"{role_id}:api-1") == (identity["Arn"], identity["Account"], identity["UserId"])
    role_iam = container_session(server, "web", bound["Token"]).create_client(
        "iam", endpoint_url=server.url, region_name="us-east-1")
    with pytest.raises(ClientError) as denied:
        role_iam.list_users()
    assert "AccessDenied" == denied.value.response["Error"]["Code"]
    iam.put_role_policy(RoleName="web", PolicyName="list", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))
    assert [] == soon(lambda: _users(role_iam), lambda users: users == [])


def test_wrong_tokens_and_profiles_are_refused(server: Server, iam: Any,
                                               account: Account) -> None:
    """A wrong or missing token: 401 without saying why; a valid token for another profile:
    404; neither names the binding."""
    iam.create_role(RoleName="svc", AssumeRolePolicyDocument=json.dumps(TRUST))
    bound = ok(workloads(server, "bind", "--account", account.account_id, "--role", "svc",
                         "--workload", "worker"))
    soon(lambda: fetch(server, "svc", bound["Token"]), lambda r: r[0] == 200)

    for authorization in (None, "", "nope", bound["Token"][:-1], f"Bearer {bound['Token']}x"):
        status, body = fetch(server, "svc", authorization)
        assert (401, "Unauthorized", "Unauthorized.") == (status, body["code"], body["message"])
    assert 404 == fetch(server, "other", bound["Token"])[0]


def test_unbind_revokes_at_once_and_list_shows_bindings(server: Server, iam: Any,
                                                        account: Account) -> None:
    """`unbind` names the revoked sessions; the token is refused and credentials fetched
    before stop signing; `list` follows; bad input is refused and changes nothing."""
    iam.create_role(RoleName="batch", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_instance_profile(InstanceProfileName="batch-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="batch-profile", RoleName="batch")
    bound = ok(workloads(server, "bind", "--account", account.account_id,
                         "--profile", "batch-profile", "--workload", "nightly"))
    assert "batch-profile" == bound["Profile"]
    _, creds = soon(lambda: fetch(server, "batch-profile", bound["Token"]),
                    lambda r: r[0] == 200)
    sts = client(server, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["Token"])
    assert sts.get_caller_identity()["Arn"].endswith(":assumed-role/batch/nightly")
    listed = soon(lambda: ok(workloads(server, "list", "--account", account.account_id)),
                  lambda rows: len(rows) == 1)
    assert [("nightly", "batch-profile")] == [(r["Workload"], r["Profile"]) for r in listed]

    for bad in (["--workload", "bad name", "--profile", "batch-profile"],
                ["--workload", "nightly", "--profile", "batch-profile"],
                ["--workload", "other", "--profile", "nope"],
                ["--workload", "other"],
                ["--workload", "other", "--profile", "batch-profile", "--role", "batch"]):
        done = workloads(server, "bind", "--account", account.account_id, *bad)
        assert (1, "") == (done.returncode, done.stdout), bad
        assert done.stderr.split(":")[0] in {"ValidationError", "EntityAlreadyExists",
                                              "NoSuchEntity"}, done.stderr
    assert listed == ok(workloads(server, "list", "--account", account.account_id))

    unbound = ok(workloads(server, "unbind", "--account", account.account_id,
                           "--workload", "nightly"))
    assert ["nightly"] == [unbound["Workload"]]
    assert 1 == len(unbound["RevokedSessionIds"])
    assert 401 == soon(lambda: fetch(server, "batch-profile", bound["Token"])[0],
                       lambda status: status == 401, seconds=1.0)
    with pytest.raises(ClientError) as revoked:
        sts.get_caller_identity()
    assert "InvalidClientTokenId" == revoked.value.response["Error"]["Code"]
    assert [] == soon(lambda: ok(workloads(server, "list", "--account", account.account_id)),
                      lambda rows: rows == [])
    done = workloads(server, "unbind", "--account", account.account_id, "--workload", "nightly")
    assert (1, "NoSuchEntity") == (done.returncode, done.stderr.split(":")[0])


async def test_served_credentials_appear_nowhere(server: Server, iam: Any,
                                                 account: Account) -> None:
    """The workload token, and the secret and session token the endpoint served, are in no
    topic, no table and no line of the server's log."""
    iam.create_role(RoleName="quiet", AssumeRolePolicyDocument=json.dumps(TRUST))
    done = workloads(server, "bind", "--account", account.account_id, "--role", "quiet",
                     "--workload", "q")
    bound = ok(done)
    _, creds = soon(lambda: fetch(server, "quiet", bound["Token"]), lambda r: r[0] == 200)
    client(server, "sts", creds["AccessKeyId"], creds["SecretAccessKey"],
           creds["Token"]).get_caller_identity()
    fetch(server, "quiet", "wrong-" + bound["Token"])
    assert creds["AccessKeyId"] in server.log_text() + "".join(  # the search sees real text
        (r.value or b"").decode(errors="replace") for r in await read_topic(
            server.settings, Topics.for_prefix(server.settings.topic_prefix).events))
    assert bound["Token"] not in done.stderr
    await assert_nowhere(server, bound["Token"], creds["SecretAccessKey"], creds["Token"])
