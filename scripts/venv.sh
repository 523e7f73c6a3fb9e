#!/usr/bin/env bash
# Make sure $1 (default .venv) is a Python 3.11 virtualenv with iamlog and its test extras.
set -euo pipefail

venv=${1:-.venv}

is_python311() {
    "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1
}

find_python311() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 \
        "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.11*/bin/python3.11 /usr/bin/python3.11; do
        if [ -n "$candidate" ] && is_python311 "$candidate"; then
            echo "$candidate"
            return
        fi
    done
    echo "error: Python 3.11 not found; set PYTHON=/path/to/python3.11" >&2
    exit 1
}

if ! is_python311 "$venv/bin/python"; then
    python=$(find_python311)
    echo "creating $venv with $python"
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
echo "installing iamlog and its test tools into $venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -e '.[test]'
