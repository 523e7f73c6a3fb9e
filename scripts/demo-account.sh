#!/usr/bin/env bash
# Create the demo account and print its root key, unless the account exists already.
set -euo pipefail

account=${IAMLOG_DEMO_ACCOUNT_ID:-123456789012}
iamlog=${IAMLOG_BIN:-.venv/bin/iamlog}
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT

if key=$("$iamlog" accounts create --account-id "$account" 2>"$errors"); then
    echo "Demo account $account created. Its root access key (shown only this once):"
    echo "$key"
elif grep -qiE 'EntityAlreadyExists|already exists' "$errors"; then
    echo "Demo account $account exists already; its root key was printed when it was created."
else
    cat "$errors" >&2
    echo "error: could not create the demo account $account" >&2
    exit 1
fi
