#!/usr/bin/env sh
# Print a Secret `iamlog-master-keys` holding one new random master key (version ${1:-1}), as
# YAML for `kubectl apply -f -`. Keys are made here, on your machine: none is ever committed.
#   deploy/k8s/new-master-keys.sh | kubectl -n iamlog apply -f -
# Rotation appends a version instead of replacing the Secret: see docs/operating.md.
set -eu
version=${1:-1}
key=$(head -c 32 /dev/urandom | base64 | tr -d '\n')
kubectl create secret generic iamlog-master-keys \
    --from-literal=IAMLOG_MASTER_KEYS="$version:$key" --dry-run=client -o yaml
