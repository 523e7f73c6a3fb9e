"""The canonical request and string to sign of SigV4, for services other than S3.

Paths are normalized (dot segments and empty segments removed) and URI-encoded once more on
top of their percent-encoding as received, which is what AWS's spec asks of non-S3 services and
what botocore's `SigV4Auth` does. Query components are decoded (`+` as a space, as form
encoding has it) and re-encoded with only the unreserved characters left bare, then sorted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from hashlib import sha256
from urllib.parse import quote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
_DROP_UNRESERVED = str.maketrans("", "", _UNRESERVED)
_PATH_SAFE = "/~"


def canonical_uri(path: str) -> str:
    """The path as it enters the canonical request."""
    if path == "/" or not path:
        return "/"
    return quote(remove_dot_segments(path), safe=_PATH_SAFE)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, plus the collapsing of repeated slashes that AWS services expect."""
    output: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if output:
                output.pop()
        else:
            output.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and output else ""
    return first + "/".join(output) + last


def canonical_component(raw: str) -> str:
    """One query name or value, decoded and re-encoded as the canonical form wants it."""
    if raw.isascii() and not raw.translate(_DROP_UNRESERVED):
        return raw
    return quote(unquote_to_bytes(raw.replace("+", " ")), safe="-_.~")


def query_pairs(query: str) -> list[tuple[str, str, str, str]]:
    """(canonical name, canonical value, raw name, raw value) for each `name=value` part."""
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((canonical_component(name), canonical_component(value), name, value))
    return pairs


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    """The sorted `name=value` pairs joined with `&`."""
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def canonical_headers(names: Sequence[str], headers: Mapping[str, list[str]]) -> str:
    """`name:value` lines of the signed headers, in the order the signer listed them.

    Values are trimmed, inner runs of whitespace collapse to one space, and repeated headers
    join with commas; a signed header the request lacks contributes an empty value (and so a
    different signature).
    """
    lines = []
    for name in names:
        values = headers.get(name, ())
        lines.append(f"{name}:{','.join(' '.join(value.split()) for value in values)}\n")
    return "".join(lines)


def canonical_request(method: str, uri: str, query: str, *, headers: str, signed_headers: str,
                      payload_hash: str) -> str:
    """The six lines of the canonical request."""
    return f"{method}\n{uri}\n{query}\n{headers}\n{signed_headers}\n{payload_hash}"


def string_to_sign(timestamp: str, scope: str, request: str) -> str:
    """What the signing key signs: algorithm, timestamp, scope and the request's hash."""
    digest = sha256(request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{digest}"
