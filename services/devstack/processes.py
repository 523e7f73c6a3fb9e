"""Child processes, pid files and ports: the operating-system edge of the dev stack."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from services.devstack import DevStackError


def run(
    argv: Sequence[str],
    *,
    what: str,
    user: str | None = None,
    cwd: Path | None = None,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run `argv` to completion and return its stdout; a failure says `what` went wrong."""
    try:
        done = subprocess.run(  # noqa: S603 - argv is built by us, never from user input
            list(argv),
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            user=user,
            group=user,
            cwd=cwd,
            env=None if env is None else {**os.environ, **env},
        )
    except FileNotFoundError as exc:
        raise DevStackError(f"{what}: {argv[0]} is not installed ({exc.strerror})") from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()[-2000:]
        raise DevStackError(f"{what} failed (exit {done.returncode}): {detail}")
    return done.stdout


def spawn_detached(argv: Sequence[str], *, output: Path, cwd: Path) -> int:
    """Start `argv` in its own session so it outlives the CLI; return its pid."""
    with output.open("ab") as sink:
        child = subprocess.Popen(  # noqa: S603 - argv is built by us, never from user input
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )
    return child.pid


def read_pid(pid_file: Path) -> int | None:
    """The pid recorded in `pid_file`, or None when the file is missing or garbled."""
    try:
        return int(pid_file.read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def is_alive(pid: int, marker: str) -> bool:
    """Whether `pid` runs and its command line contains `marker`.

    The marker guards against a stale pid file whose pid was reused after a reboot.
    """
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return marker.encode() in cmdline.replace(b"\0", b" ")


def terminate(pid: int, *, grace_seconds: float) -> None:
    """SIGTERM `pid`, wait up to `grace_seconds` for it to exit, then SIGKILL it."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        if not exists(pid):
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def exists(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie child of ours is reaped and counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return Path(f"/proc/{pid}").exists() and not _is_zombie(pid)
    return reaped == 0


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def port_open(host: str, port: int, *, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on `host:port`."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
