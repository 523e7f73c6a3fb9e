"""Hostile CLI arguments: each is refused with one `Code: message` line on stderr and exit
code 1 (or click's usage error, exit 2), never a traceback; nothing is appended to the log;
the stack serves on. The same holds with the stack out of reach (`ServiceUnavailable`)."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from hypothesis import given, settings
from hypothesis import strategies as st

from events.topics import Topics
from services.bench.common import free_port
from services.cli.main import main
from services.settings import get_settings
from tests.e2e.conftest import Account, Server
from tests.e2e.hostile import AWS_CODES, still_serving
from tests.integration.harness import ROOT, read_topic

_REFUSAL = re.compile(r"([A-Za-z]+): .+")
CODES = AWS_CODES | {"ServiceUnavailable"}
ACCOUNT = "{account}"  # replaced by the test's own account id
ROLE_ARN = "arn:aws:iam::{account}:role/none"
BAD_UTF8 = b"\xff\xfe\xc0\xaf"

# argv (str or raw bytes), the code it must get ("usage": click's exit 2).
CASES: list[tuple[list[str | bytes], str]] = [
    (["accounts", "create", "--account-id", "12345"], "ValidationError"),
    (["accounts", "create", "--account-id", "١٢٣٤٥٦٧٨٩٠١٢"], "ValidationError"),
    (["accounts", "create", "--account-id", "123456789012\n"], "ValidationError"),
    (["accounts", "create", "--account-id", b"12345678901" + BAD_UTF8], "ValidationError"),
    (["accounts", "create", "--account-id", "1" * 100_000], "ValidationError"),
    (["accounts", "create", "--account-id", ACCOUNT], "EntityAlreadyExists"),
    (["workloads", "bind", "--account", ACCOUNT, "--workload", "a b", "--role", "r"],
     "ValidationError"),
    (["workloads", "bind", "--account", ACCOUNT, "--workload", "w", "--role", "r\x1b[2J"],
     "ValidationError"),
    (["workloads", "bind", "--account", ACCOUNT, "--workload", "w" * 129, "--role", "r"],
     "ValidationError"),
    (["workloads", "bind", "--account", ACCOUNT, "--workload", b"w" + BAD_UTF8, "--role", "r"],
     "ValidationError"),
    (["workloads", "bind", "--account", ACCOUNT, "--workload", "w", "--profile", "../p"],
     "ValidationError"),
    (["workloads", "bind", "--account", ACCOUNT, "--workload", "w"], "ValidationError"),
    (["workloads", "bind", "--account", ACCOUNT, "--workload", "w", "--role", "missing"],
     "NoSuchEntity"),
    (["workloads", "unbind", "--account", ACCOUNT, "--workload", "never-bound"],
     "NoSuchEntity"),
    (["workloads", "list", "--account", "12345678901O"], "ValidationError"),
    (["sessions", "list", "--account", "abc"], "ValidationError"),
    (["sessions", "list", "--role", "arn:aws:iam::{account}:role/x\n"], "ValidationError"),
    (["sessions", "list", "--workload", "w;drop table sessions"], "ValidationError"),
    (["sessions", "list", "--state", "bogus"], "usage"),
    (["sessions", "list", "--limit", "0"], "usage"),
    (["sessions", "revoke", "zz"], "ValidationError"),
    (["sessions", "revoke", "0" * 32], "NoSuchEntity"),
    (["sessions", "revoke", "--role", "arn:aws:iam::{account}:role/x y"], "ValidationError"),
    (["sessions", "revoke", "--role", ROLE_ARN, "--reason", ""], "ValidationError"),
    (["sessions", "revoke", "--role", ROLE_ARN, "--reason", "x" * 257], "ValidationError"),
    (["sessions", "revoke", "--role", ROLE_ARN, "--reason", BAD_UTF8], "ValidationError"),
    (["sessions", "revoke"], "usage"),
    (["keys", "set-expiry", "AKIAIOSFODNN7EXAMPL1", "--at", "not a date"], "ValidationError"),
    (["keys", "set-expiry", "AKIAIOSFODNN7EXAMPL1", "--at", "2026-01-01T00:00:00"],
     "ValidationError"),
    (["keys", "set-expiry", "AKIA' OR '1'='1", "--none"], "ValidationError"),
    (["keys", "set-expiry", "AKIAAAAAAAAAAAAAAAAA", "--none"], "NoSuchEntity"),
    (["keys", "set-expiry", "AKIAAAAAAAAAAAAAAAAA"], "usage"),
    (["keys", "set-max-age", "--account", "x", "--days", "3"], "ValidationError"),
    (["keys", "set-max-age", "--account", ACCOUNT, "--days", "99999999999999999999"], "usage"),
    (["keys", "set-max-age", "--account", ACCOUNT, "--days", "-5"], "usage"),
    (["keys", "rotate", "--account", ACCOUNT, "--user", "bad name!"], "ValidationError"),
    (["keys", "rotate", "--account", ACCOUNT, "--user", "nobody"], "NoSuchEntity"),
    (["keys", "rotate", "--account", ACCOUNT, "--grace", "-1"], "usage"),
    (["oidc-providers", "set-jwks", "--arn", "garbage", "--jwks-file", "/etc/hostname"],
     "ValidationError"),
    (["oidc-providers", "set-jwks", "--arn", "arn:aws:iam::{account}:oidc-provider/x\n",
      "--jwks-file", "/etc/hostname"], "ValidationError"),
    (["oidc-providers", "set-jwks", "--arn", "arn:aws:iam::{account}:oidc-provider/x",
      "--jwks-file", "/etc/hostname"], "InvalidInput"),
    (["oidc-providers", "set-jwks", "--arn", "arn:aws:iam::{account}:oidc-provider/x",
      "--jwks-file", "/no/such/file"], "InvalidInput"),
    (["oidc-providers", "set-jwks", "--arn", "arn:aws:iam::{account}:oidc-provider/x",
      "--jwks-url", "http://169.254.169.254/latest/meta-data/"], "InvalidInput"),
    (["oidc-providers", "set-jwks", "--arn", "arn:aws:iam::{account}:oidc-provider/x",
      "--jwks-url", "file:///etc/passwd"], "InvalidInput"),
    (["events", "tail", "--account", "abc", "--limit", "1"], "ValidationError"),
    (["events", "tail", "--limit", "-1"], "usage"),
    (["serve", "--role", "bogus"], "usage"),
    (["nonsense"], "usage"),
]


def _argv(args: list[str | bytes], account: str) -> list[bytes]:
    return [arg if isinstance(arg, bytes) else arg.replace("{account}", account).encode()
            for arg in args]


def _run(argv: list[bytes], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable.encode(), b"-m", b"services.cli.main", *argv],
                          cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                          timeout=120, check=False)


def _assert_refused(done: subprocess.CompletedProcess[bytes], expected: str) -> None:
    """Exit code 1 and exactly one `Code: message` line, or click's usage error (exit 2);
    nothing on stdout, no traceback."""
    err = done.stderr.decode("utf-8")  # valid UTF-8 whatever the arguments held
    assert b"" == done.stdout, done.stdout[:300]
    assert "Traceback" not in err, err[-2000:]
    if expected == "usage":
        assert 2 == done.returncode, err
        return
    assert 1 == done.returncode, err
    lines = err.splitlines()
    assert 1 == len(lines), err[:2000]
    refused = _REFUSAL.fullmatch(lines[0])
    assert refused is not None, lines[0][:300]
    assert expected == refused.group(1), lines[0][:300]


async def _events_of(server: Server, account: str) -> list[bytes]:
    records = await read_topic(server.settings,
                               Topics.for_prefix(server.settings.topic_prefix).events)
    return [record.value for record in records if record.key == account.encode()]


async def test_hostile_cli_arguments_are_refused_and_change_nothing(server: Server,
                                                                    account: Account) -> None:
    """Each hostile argument list gets its error code and no traceback; the account's events
    are the same before and after, and the server still answers."""
    before = await _events_of(server, account.account_id)
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda case: _run(_argv(case[0], account.account_id),
                                               server.env()), CASES))

    for (args, expected), answer in zip(CASES, done, strict=True):
        try:
            _assert_refused(answer, expected)
        except AssertionError as failure:
            raise AssertionError(f"{[str(a)[:60] for a in args]}: {failure}") from None
    assert before == await _events_of(server, account.account_id)
    still_serving(server, account)


def _unreachable() -> dict[str, str]:
    return {"IAMLOG_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
            "IAMLOG_DATABASE_URL": f"postgresql://iamlog:x@127.0.0.1:{free_port()}/iamlog"}


def test_an_unreachable_stack_is_service_unavailable() -> None:
    """Valid arguments with Kafka and Postgres out of reach: `ServiceUnavailable`, exit 1,
    one line, no traceback (nor aiokafka's 'Unclosed' warnings)."""
    env = _unreachable()
    commands = [["accounts", "create", "--account-id", "123456789012"],
                ["workloads", "list", "--account", "123456789012"],
                ["sessions", "revoke", "--role", "arn:aws:iam::123456789012:role/r"],
                ["keys", "set-max-age", "--account", "123456789012", "--days", "90"],
                ["events", "tail", "--limit", "1"]]
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda args: _run([a.encode() for a in args], env), commands))

    for args, answer in zip(commands, done, strict=True):
        _assert_refused(answer, "ServiceUnavailable")
        assert b"Unclosed" not in answer.stderr, args


@contextlib.contextmanager
def _cli(env: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in env}
    kafka_log = logging.getLogger("aiokafka")
    level = kafka_log.level  # main() quiets it, for the rest of its process
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        yield
    finally:
        kafka_log.setLevel(level)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def _in_process(argv: list[str]) -> tuple[int, str]:
    """Run the CLI's entry point in this process: its exit code and its stderr."""
    err = io.StringIO()
    saved = sys.argv
    sys.argv = ["iamlog", *argv]
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                main()
                code = 0
            except SystemExit as exited:
                code = exited.code if isinstance(exited.code, int) else 1
    finally:
        sys.argv = saved
    return code, err.getvalue()


_odd = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=40).map(lambda raw: raw.decode("utf-8", "surrogateescape")),
    st.sampled_from(["", " ", "\x00", "-", "--help-not", "a/../b", "%s%n", "\u202e", "１２３",
                     "123456789012 ", "AKIA" + "A" * 16 + "\n", "'; DROP TABLE keys; --"]),
)
_TEMPLATES = [
    ["accounts", "create", "--account-id", "{}"],
    ["workloads", "bind", "--account", "123456789012", "--workload", "{}", "--role", "r"],
    ["workloads", "bind", "--account", "123456789012", "--workload", "w", "--profile", "{}"],
    ["sessions", "revoke", "{}"],
    ["sessions", "revoke", "--role", "{}"],
    ["sessions", "list", "--account", "{}"],
    ["keys", "set-expiry", "{}", "--none"],
    ["keys", "set-expiry", "AKIAAAAAAAAAAAAAAAAA", "--at", "{}"],
    ["keys", "rotate", "--account", "123456789012", "--user", "{}"],
    ["events", "tail", "--limit", "1", "--account", "{}"],
]


@settings(max_examples=150, deadline=None)
@given(template=st.sampled_from(_TEMPLATES), value=_odd)
def test_any_argument_gets_a_clean_refusal(template: list[str], value: str) -> None:
    """Whatever text fills an argument, the CLI answers with a usage error or one
    `Code: message` line with an AWS-style code (the stack is out of reach, so what passes
    the checks is `ServiceUnavailable`), and never raises."""
    argv = [value if part == "{}" else part for part in template]
    with _cli(_unreachable()):
        code, err = _in_process(argv)

    assert code in (1, 2), (argv, code, err[-500:])
    if code == 1:
        lines = err.splitlines()
        assert 1 == len(lines), err[:1000]
        refused = _REFUSAL.fullmatch(lines[0])
        assert refused is not None, lines[0][:300]
        assert refused.group(1) in CODES, lines[0][:300]
