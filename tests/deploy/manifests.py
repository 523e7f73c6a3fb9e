"""Render the Kustomize overlays and validate objects against schemas kept in the repository.

Kubernetes' own kinds are checked against the strict JSON schemas under
`deploy/schemas/kubernetes/` (unknown fields fail), custom resources against the
`openAPIV3Schema` of their CRDs under `deploy/crds/`, made as strict as the API server's
`fieldValidation=Strict`: an object schema with `properties` accepts no other field unless it
says `x-kubernetes-preserve-unknown-fields`. Nothing here touches the network.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OVERLAYS = ("dev", "prod")
KUBERNETES_SCHEMAS = DEPLOY / "schemas" / "kubernetes" / "v1.33.0"
CRDS = DEPLOY / "crds"
OBJECT_META = "https://kubernetes.io/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

Manifest = dict[str, Any]


class KustomizeMissing(RuntimeError):
    """The kustomize of scripts/deploy-tools.sh is not installed."""


def kustomize() -> Path:
    """The kustomize binary that `scripts/deploy-tools.sh` installs (`make test` runs it)."""
    script = ROOT / "scripts" / "deploy-tools.sh"
    # Our own script and binary, with fixed arguments.
    asked = subprocess.run([str(script), "--path"], check=True, capture_output=True, text=True)
    path = Path(asked.stdout.strip())
    if not path.is_file():
        raise KustomizeMissing(f"{path} is missing: run scripts/deploy-tools.sh (make test does)")
    return path


@functools.cache
def render(target: str) -> tuple[Manifest, ...]:
    """Every object of `kustomize build deploy/<target>`, in output order."""
    command = [str(kustomize()), "build", str(DEPLOY / target)]
    built = subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)
    return tuple(doc for doc in yaml.safe_load_all(built.stdout) if doc)


def overlay(name: str) -> tuple[Manifest, ...]:
    """The objects of the overlay `deploy/k8s/overlays/<name>`."""
    return render(f"k8s/overlays/{name}")


def find(objects: tuple[Manifest, ...], kind: str, name: str | None = None) -> list[Manifest]:
    """Objects of `kind` (named `name`, if given)."""
    return [o for o in objects
            if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]


def one(objects: tuple[Manifest, ...], kind: str, name: str) -> Manifest:
    """The single object `kind`/`name`."""
    found = find(objects, kind, name)
    assert len(found) == 1, f"{kind}/{name}: {len(found)} objects"
    return found[0]


def schema_errors(obj: Manifest) -> list[str]:
    """Every schema violation of `obj`; empty when it is valid."""
    validators = _validators(obj.get("apiVersion", ""), obj.get("kind", ""))
    if not validators:
        return [f"no schema for {obj.get('apiVersion')} {obj.get('kind')}"]
    return [f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
            for validator in validators for error in validator.iter_errors(obj)]


@functools.cache
def _registry() -> Registry:
    definitions = json.loads((KUBERNETES_SCHEMAS / "_definitions.json").read_text())
    return Resource.from_contents(definitions) @ Registry()


@functools.cache
def _validators(api_version: str, kind: str) -> tuple[Draft202012Validator, ...]:
    crd = _crds().get((api_version, kind))
    if crd is not None:
        # The CRD's schema says `metadata: {type: object}`; the API server checks ObjectMeta.
        meta = {"properties": {"metadata": {"$ref": OBJECT_META}}}
        return (Draft202012Validator(crd), Draft202012Validator(meta, registry=_registry()))
    # rbac.authorization.k8s.io/v1 -> rbac-v1, apps/v1 -> apps-v1, v1 -> v1 (kubernetes-validate)
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = KUBERNETES_SCHEMAS / f"{kind.lower()}-{group_version}.json"
    if not path.is_file():
        return ()
    return (Draft202012Validator(json.loads(path.read_text()), registry=_registry()),)


@functools.cache
def _crds() -> dict[tuple[str, str], dict[str, Any]]:
    crds = {}
    for path in sorted(CRDS.glob("*.json")):
        crd = json.loads(path.read_text())
        key = (f"{crd['group']}/{crd['version']}", crd["kind"])
        crds[key] = strict(crd["openAPIV3Schema"])
    return crds


def strict(schema: Any) -> Any:
    """A CRD's structural schema as JSON Schema with the API server's strictness."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict(value) if key not in ("enum", "required", "default", "example") else value
           for key, value in schema.items()}
    if "properties" in out:
        out["properties"] = {name: strict(value) for name, value in schema["properties"].items()}
        open_ended = out.get("x-kubernetes-preserve-unknown-fields")
        if "additionalProperties" not in out and not open_ended:
            out["additionalProperties"] = False
    if out.pop("x-kubernetes-int-or-string", False):
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def containers(obj: Manifest) -> Iterator[Manifest]:
    """The containers of a Deployment's or Job's pod template."""
    yield from obj["spec"]["template"]["spec"]["containers"]


def selects(selector: Manifest, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels and matchExpressions In/Exists) matches `labels`."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value = labels.get(expression["key"])
        match expression["operator"]:
            case "In" if value not in expression["values"]:
                return False
            case "NotIn" if value in expression["values"]:
                return False
            case "Exists" if value is None:
                return False
            case "DoesNotExist" if value is not None:
                return False
    return True
