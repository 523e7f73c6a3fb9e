"""Refresh the schemas the manifest tests validate against (a maintainer's tool; needs network).

Run `python deploy/refresh_schemas.py` after changing a version below, then commit what changed
under `deploy/schemas/` and `deploy/crds/`. Everything comes through the package registries:

* Kubernetes: the JSON schemas that the PyPI package `kubernetes-validate` ships (generated from
  Kubernetes' OpenAPI documents), for the kinds iamlog's manifests use plus their shared
  definitions.
* CloudNativePG and prometheus-operator: the `openAPIV3Schema` of their CRDs, read from the Go
  modules' `config/crd/bases/` and `example/prometheus-operator-crd/` (`go mod download`).
* Strimzi publishes no Go module and no CRD file in a registry package; its two schemas in
  `deploy/crds/` are written by hand from the npm package
  `@kubernetes-models/strimzi-kafka-operator` (generated from the release's CRDs) and are not
  touched here.

Descriptions are dropped: they are most of the bytes and validation never reads them.
"""

# ruff: noqa: S603, S607 - a maintainer runs fixed pip and go commands

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
KUBERNETES_VALIDATE = "1.37.0"
KUBERNETES = "v1.33.0"
# (kind file stem in kubernetes-validate) for every built-in kind the manifests use.
KUBERNETES_KINDS = [
    "configmap-v1", "secret-v1", "service-v1", "serviceaccount-v1", "deployment-apps-v1",
    "job-batch-v1", "poddisruptionbudget-policy-v1", "networkpolicy-networking-v1",
    "horizontalpodautoscaler-autoscaling-v2",
]
# (module, version, path inside the module, CRD version to keep)
CRDS = [
    ("github.com/cloudnative-pg/cloudnative-pg", "v1.28.0",
     "config/crd/bases/postgresql.cnpg.io_clusters.yaml", "v1"),
    ("github.com/prometheus-operator/prometheus-operator", "v0.85.0",
     "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml", "v1"),
    ("github.com/prometheus-operator/prometheus-operator", "v0.85.0",
     "example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml", "v1"),
]


def strip_descriptions(node: Any) -> Any:
    """`node` without schema descriptions (a property *named* description is kept)."""
    if isinstance(node, dict):
        return {key: strip_descriptions(value) for key, value in node.items()
                if not (key == "description" and isinstance(value, str))}
    if isinstance(node, list):
        return [strip_descriptions(item) for item in node]
    return node


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path.relative_to(HERE.parent)} ({path.stat().st_size // 1024} KiB)")


def refresh_kubernetes() -> None:
    target = HERE / "schemas" / "kubernetes" / KUBERNETES
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "-d", tmp, f"kubernetes-validate=={KUBERNETES_VALIDATE}"], check=True)
        wheel = next(Path(tmp).glob("kubernetes_validate-*.whl"))
        folder = f"kubernetes_validate/kubernetes-json-schema/{KUBERNETES}-local-strict"
        with zipfile.ZipFile(wheel) as archive:
            for stem in [*KUBERNETES_KINDS, "_definitions"]:
                data = json.loads(archive.read(f"{folder}/{stem}.json"))
                write_json(target / f"{stem}.json", strip_descriptions(data))


def refresh_crds() -> None:
    for module, version, path, crd_version in CRDS:
        listing = subprocess.run(["go", "mod", "download", "-json", f"{module}@{version}"],
                                 check=True, capture_output=True, text=True)
        crd = yaml.safe_load((Path(json.loads(listing.stdout)["Dir"]) / path).read_text())
        spec = crd["spec"]
        served = next(v for v in spec["versions"] if v["name"] == crd_version)
        name = f"{spec['group']}_{crd_version}_{spec['names']['singular']}.json"
        write_json(HERE / "crds" / name, {
            "group": spec["group"], "version": crd_version, "kind": spec["names"]["kind"],
            "source": f"{module}@{version} {path}",
            "openAPIV3Schema": strip_descriptions(served["schema"]["openAPIV3Schema"]),
        })


if __name__ == "__main__":
    refresh_kubernetes()
    refresh_crds()
