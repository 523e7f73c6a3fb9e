"""The HTTP benchmarks run end to end on small workloads, against one server and against
several api processes sharing a port."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from services.bench import api, sts
from services.bench.api import IAM_VERSION, until_authenticated
from services.bench.load import open_connections
from services.bench.server import _listening, bench_stack
from services.bench.wire import FormSigner, form


async def test_api_processes_share_one_port() -> None:
    """With `IAMLOG_HTTP_REUSE_PORT`, two api processes listen on one port beside the
    processor and projector; every connection is answered, with the root key, by either."""
    async with bench_stack("testreuse", api_workers=2) as stack:
        roles, *apis = stack.processes
        assert 2 == len(apis)
        assert all(_listening(process.pid, stack.port) for process in apis)
        assert not _listening(roles.pid, stack.port)
        signer = FormSigner(stack.host, *stack.root, service="iam")
        async with contextlib.AsyncExitStack() as exits:
            connections = await open_connections(exits, "127.0.0.1", stack.port, 8)
            await until_authenticated(connections, signer.request(form("GetUser", IAM_VERSION)))
            answers = [await c.request(signer.request(form("ListUsers", IAM_VERSION)))
                       for c in connections]
        assert {200} == {answer.status for answer in answers}


def test_bench_api_and_sts_record_their_figures(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """`bench api` (one process) and `bench sts` (two api processes) finish without a failed
    request and append one line each with every figure the issues ask for."""
    monkeypatch.chdir(tmp_path)
    reads = api.main(requests=256, pairs=32, clients=8)
    sessions = sts.main(assumes=64, identities=256, clients=8, api_workers=2)
    for figures, names in ((reads, api.TARGETS), (sessions, sts.TARGETS)):
        assert all(figures[name] > 0 for name in names)
    assert reads["list_p99_ms"] >= reads["list_p50_ms"] > 0
    assert reads["pair_p99_ms"] >= reads["pair_p50_ms"] > 0
    assert sessions["assume_role_p99_ms"] >= sessions["assume_role_p50_ms"] > 0
    assert sessions["caller_identity_p99_ms"] > 0
    assert 8 == sessions["sessions_used"]
    lines = {path.name: path.read_text().splitlines()
             for path in (tmp_path / "bench-results").glob("*.jsonl")}
    assert {"api.jsonl": 1, "sts.jsonl": 1} == {name: len(text) for name, text in lines.items()}
