#!/usr/bin/env bash
# Install the tools of the manifest tests (tests/deploy): kustomize, built with Go from the Go
# module proxy into ~/.cache/iamlog/bin, once per version. `--path` only prints where it goes.
set -euo pipefail

KUSTOMIZE_VERSION=v5.7.1  # v5.8 needs Go 1.27
bin_dir=${IAMLOG_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/iamlog/bin}
target=$bin_dir/kustomize-$KUSTOMIZE_VERSION

if [ "${1:-}" = "--path" ]; then
    echo "$target"
    exit 0
fi
if [ -x "$target" ]; then
    exit 0
fi
if ! command -v go >/dev/null 2>&1; then
    echo "error: Go is needed to build kustomize $KUSTOMIZE_VERSION for tests/deploy" >&2
    exit 1
fi
echo "building kustomize $KUSTOMIZE_VERSION into $bin_dir (once, about a minute)"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
# Outside any module, so the project's files never change; the local toolchain only.
(cd "$build" && GOBIN="$build/bin" GOTOOLCHAIN=local GOFLAGS=-mod=mod \
    go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION")
mkdir -p "$bin_dir"
mv "$build/bin/kustomize" "$target.partial"
mv "$target.partial" "$target"
