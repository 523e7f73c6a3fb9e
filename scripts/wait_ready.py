"""Wait until `iamlog serve` (pid argv[1]) answers `/readyz`, or fail if it exits first."""

from __future__ import annotations

import os
import sys
import time

import httpx

from services.settings import get_settings

TIMEOUT_SECONDS = 120


def main(serve_pid: int) -> int:
    """Poll `/readyz` until it says 200; 1 if the server exits or the time runs out."""
    settings = get_settings()
    url = f"http://{settings.http_host}:{settings.http_port}/readyz"
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            os.kill(serve_pid, 0)
        except ProcessLookupError:
            print("error: iamlog serve exited during start-up", file=sys.stderr)
            return 1
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return 0
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    print(f"error: iamlog serve was not ready at {url} within {TIMEOUT_SECONDS} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
