#!/usr/bin/env bash
# `make run`: serve in the foreground; once it is ready, create the demo account (first run only).
set -euo pipefail

venv=${VENV:-.venv}

"$venv/bin/iamlog" serve &
serve=$!
# A script's background job ignores SIGINT, so Ctrl-C is passed on by hand.
trap 'kill -TERM "$serve" 2>/dev/null || true' INT TERM

if ! "$venv/bin/python" scripts/wait_ready.py "$serve"; then
    kill -TERM "$serve" 2>/dev/null || true
    wait "$serve" || true
    exit 1
fi
IAMLOG_BIN="$venv/bin/iamlog" scripts/demo-account.sh
echo "iamlog serves on the address above; Ctrl-C stops it (Kafka and Postgres keep running)."

status=0
wait "$serve" || status=$?
# A signal ends the first `wait` early; let the server finish its shutdown.
if kill -0 "$serve" 2>/dev/null; then
    wait "$serve" || status=$?
fi
exit "$status"
