"""The Dockerfile, read as text (no Docker engine here): pinned bases, non-root, `iamlog`."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex

from tests.deploy.manifests import ROOT

EXACT_TAG = re.compile(r"^[\w./-]+:(\d+\.\d+\.\d+)[\w.-]*$")
DIGEST = re.compile(r"^[\w./:-]+@sha256:[0-9a-f]{64}$")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1])
            for line in lines if line and not line.startswith("#")]


def test_every_base_image_is_pinned() -> None:
    """Each FROM names an exact version or a digest (never `latest`), or an earlier stage."""
    stages: set[str] = set()
    froms = [args.split() for op, args in instructions() if op == "FROM"]
    assert len(froms) >= 2, "multi-stage"
    for words in froms:
        image = words[0]
        assert "latest" not in image
        assert image in stages or EXACT_TAG.match(image) or DIGEST.match(image), image
        if len(words) == 3 and words[1].upper() == "AS":
            stages.add(words[2])


def test_the_image_runs_iamlog_as_a_non_root_user() -> None:
    """The final stage's USER is a numeric non-zero uid; the entrypoint is `iamlog`."""
    ops = instructions()
    final = ops[max(i for i, (op, _) in enumerate(ops) if op == "FROM"):]
    users = [args for op, args in final if op == "USER"]
    assert users, "no USER in the final stage"
    uid = users[-1].split(":")[0]
    assert uid.isdigit()
    assert int(uid) != 0
    assert ["iamlog"] == json.loads(dict(final)["ENTRYPOINT"])
    runs = [args for op, args in ops if op == "RUN"]
    assert any(re.search(r"pip install \.$", run) for run in runs)


def test_what_the_build_copies_is_in_the_context() -> None:
    """Every COPY source exists and is not excluded by .dockerignore."""
    patterns = [line for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line and not line.startswith("#")]

    def included(path: str) -> bool:
        keep = True
        for pattern in patterns:
            negated = pattern.startswith("!")
            bare = pattern.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, bare) or fnmatch.fnmatch(path, bare.replace("**/", "")):
                keep = negated
        return keep

    for op, args in instructions():
        if op != "COPY" or args.startswith("--from"):
            continue
        *sources, _ = shlex.split(args)
        for source in sources:
            assert (ROOT / source).exists(), source
            assert included(source), f"{source} is excluded by .dockerignore"
    for secret in (".venv", ".git", "tests", "bench-results"):
        assert not included(secret), f"{secret} would be sent to the build"
