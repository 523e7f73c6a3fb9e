"""The operator docs stay in step with the code they describe."""

from __future__ import annotations

import re

from services.settings import Settings
from tests.deploy.manifests import ROOT

DOCS = ROOT / "docs"


def test_every_setting_is_documented() -> None:
    """Each field of Settings appears as its IAMLOG_ variable in docs/configuration.md."""
    text = (DOCS / "configuration.md").read_text()
    missing = [name for name in Settings.model_fields if f"`IAMLOG_{name.upper()}`" not in text]
    assert [] == missing


def test_documented_defaults_match_settings() -> None:
    """The default written next to a variable is the one Settings has."""
    text = (DOCS / "configuration.md").read_text()
    defaults = Settings.model_construct()
    for name in ("kafka_bootstrap_servers", "topic_prefix", "partitions", "http_host",
                 "http_port", "log_level", "workload_session_seconds"):
        row = re.search(rf"^\| `IAMLOG_{name.upper()}` \| `([^`]*)`", text, re.MULTILINE)
        assert row, name
        assert str(getattr(defaults, name)) == row.group(1), name


def test_readme_links_every_doc() -> None:
    """README's Docs section links each file of docs/, and each link resolves."""
    readme = (ROOT / "README.md").read_text()
    links = set(re.findall(r"\]\((docs/[^)#]+)", readme))
    assert {f"docs/{path.name}" for path in DOCS.glob("*.md")} == links
