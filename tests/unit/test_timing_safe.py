"""Every comparison of a signature, a digest or a token is timing-safe (`hmac.compare_digest`).

Two proofs, no stopwatch (a wall-clock timing test would be flaky on a shared machine):

* each path that compares a secret value is driven through the real code with a valid and an
  invalid value while `hmac.compare_digest` is wrapped by a recorder: the recorder must have
  seen the values compared (so the decision went through it, not through `==`);
* an AST walk of `services/` and `domain/` finds no `==` / `!=` whose operand is named like a
  signature, digest, token, MAC, secret or bearer value.

Session tokens (and authorization messages) are authenticated by AES-GCM: their tag check is
OpenSSL's constant-time comparison inside `cryptography`, not a comparison of ours.
"""

from __future__ import annotations

import ast
import dataclasses
import hmac
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest

from services.api.sigv4 import SignedRequest, SigV4Error, verify
from services.api.workload_index import WorkloadIndex
from services.credentials import workload_sessions as ws
from tests.unit.api.test_credentials_endpoint import TOKEN, _bound
from tests.unit.sigv4.signer import NOW, FakeResolver, sign

ROOT = Path(__file__).resolve().parents[2]
Compared = list[tuple[bytes | str, bytes | str]]


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> Compared:
    """Every pair `hmac.compare_digest` is asked about during the test."""
    seen: Compared = []
    real = hmac.compare_digest

    def recording(a: bytes | str, b: bytes | str) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    return seen


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _header_signature(request: SignedRequest) -> str:
    authorization = next(v for n, v in request.headers if n.lower() == "authorization")
    return authorization.rsplit("Signature=", 1)[1]


def _with_header_signature(request: SignedRequest, signature: str) -> SignedRequest:
    headers = [(n, v.rsplit("Signature=", 1)[0] + f"Signature={signature}"
                if n.lower() == "authorization" else v) for n, v in request.headers]
    return dataclasses.replace(request, headers=headers)


def _flipped(hex_text: str) -> str:
    return hex_text[:-1] + ("0" if hex_text[-1] != "0" else "1")


def test_sigv4_header_signature_is_compared_with_compare_digest(compared: Compared) -> None:
    request = sign(params={"Action": "ListUsers"})
    signature = _header_signature(request)
    verify(request, FakeResolver(), NOW)
    assert [(signature, signature)] == [(_text(a), _text(b)) for a, b in compared]

    compared.clear()
    wrong = _flipped(signature)
    with pytest.raises(SigV4Error) as refused:
        verify(_with_header_signature(request, wrong), FakeResolver(), NOW)
    assert "SignatureDoesNotMatch" == refused.value.code
    assert [(signature, wrong)] == [(_text(a), _text(b)) for a, b in compared]


def test_presigned_signature_is_compared_with_compare_digest(compared: Compared) -> None:
    request = sign("GET", "/", params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                   service="sts", session=True, presign_expires=900)
    query = parse_qsl(request.query, keep_blank_values=True)
    signature = dict(query)["X-Amz-Signature"]
    verify(request, FakeResolver(), NOW)
    assert [(signature, signature)] == [(_text(a), _text(b)) for a, b in compared]

    compared.clear()
    wrong = _flipped(signature)
    tampered = urlencode([(n, wrong if n == "X-Amz-Signature" else v) for n, v in query])
    with pytest.raises(SigV4Error) as refused:
        verify(dataclasses.replace(request, query=tampered), FakeResolver(), NOW)
    assert "SignatureDoesNotMatch" == refused.value.code
    assert [(signature, wrong)] == [(_text(a), _text(b)) for a, b in compared]


def test_workload_token_digest_is_compared_with_compare_digest(compared: Compared) -> None:
    digest = ws.token_digest(TOKEN)
    assert ws.token_matches(TOKEN, digest)
    assert not ws.token_matches(TOKEN + "x", digest)
    assert [(digest, digest), (ws.token_digest(TOKEN + "x"), digest)] == compared


async def test_credentials_endpoint_compares_the_token_digest(compared: Compared) -> None:
    """The endpoint finds the binding through the api's workload index: the digest it found
    it under is compared with compare_digest before anything is served."""
    world, _ = _bound()
    digest = ws.token_digest(TOKEN)
    assert 200 == (await world.get(TOKEN)).status_code
    assert [(digest, digest)] == compared

    compared.clear()
    assert 401 == (await world.get(TOKEN[:-1])).status_code
    # An unknown digest finds no binding: there was nothing to compare, and nothing served.
    assert [] == compared
    index: WorkloadIndex = world.index.workloads
    assert index.binding(TOKEN[:-1]) is None


# Names that hold (or are derived from) secret material; `==` on them leaks timing.
SECRET_NAME = re.compile(
    r"signature|digest|token|secret|sha256|bearer|password|hmac|(^|_)macs?(_|$)", re.IGNORECASE)
# Comparisons a reviewer checked: neither side is secret.
NOT_SECRET = {
    # The SHA-256 of the Kafka pom, against a stamp file of the dev stack's jar cache.
    ("services/devstack/kafka.py", "stamp.read_text().strip() == digest"),
}


def _operand_name(node: ast.expr) -> str | None:
    """The name an operand is known by (`len(x)` and literals have none worth checking)."""
    match node:
        case ast.Name(id=name) | ast.Attribute(attr=name):
            return name
        case ast.Subscript(value=value):
            return _operand_name(value)
        case ast.Call(func=ast.Attribute(value=value, attr=method)) if method in (
                "strip", "lower", "upper", "decode", "encode", "hex", "hexdigest", "digest"):
            return _operand_name(value) or method
        case _:
            return None


def secret_equalities(path: Path) -> list[str]:
    """`==` / `!=` comparisons in `path` with an operand named like secret material."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Compare)
                and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops)):
            continue
        names = [_operand_name(operand) for operand in (node.left, *node.comparators)]
        if any(name is not None and SECRET_NAME.search(name) for name in names):
            found.append(ast.unparse(node))
    return found


def test_no_secret_is_compared_with_equality() -> None:
    offenders = [(str(path.relative_to(ROOT)), text)
                 for tree in ("services", "domain") for path in sorted((ROOT / tree).rglob("*.py"))
                 for text in secret_equalities(path)]
    assert [] == [offender for offender in offenders if offender not in NOT_SECRET]
    assert NOT_SECRET <= set(offenders)  # the allowance is still needed (else drop it)


def test_the_static_check_finds_an_equality_on_a_signature(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def check(expected, request, token_digest, digest, n):\n"
                      "    a = expected == request.signature\n"
                      "    b = token_digest != digest.lower()\n"
                      "    c = len(request.signatures) == n\n"
                      "    d = request.signature is None\n"
                      "    e = hmac_of(x).hexdigest() == expected\n")
    assert ["expected == request.signature", "token_digest != digest.lower()",
            "hmac_of(x).hexdigest() == expected"] == secret_equalities(sample)
