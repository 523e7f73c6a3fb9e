"""Java patterns from the models compile to Python regexes with Java's meaning."""

from __future__ import annotations

import pytest

from services.api.query.patterns import compile_java, translate
from tests.unit.query.models import service_model


def _all_patterns() -> list[str]:
    found: set[str] = set()
    for service in ("iam", "sts"):
        model = service_model(service)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern:
                found.add(pattern)
    return sorted(found)


@pytest.mark.parametrize("pattern", _all_patterns())
def test_every_model_pattern_compiles(pattern: str) -> None:
    """No pattern in the IAM or STS model is left untranslatable."""
    assert compile_java(pattern) is compile_java(pattern)


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        (r"[\w+=,.@-]+", "bob_1", True),
        (r"[\w+=,.@-]+", "bøb", False),
        (r"[\d]+", "١٢", False),
        (r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", "Ωmega 七 ٣", True),
        (r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", "tab\there", False),
        (r"[\u0009\u000A\u000D\u0020-\u00FF]+", "ÿ\t", True),
        (r"[\u0009\u000A\u000D\u0020-\u00FF]+", "Ā", False),
        (r"[\u0020-\u00FF]+", "line\n", False),
        (r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)", "/a/b/", True),
        (r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)", "/a", False),
        (r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", "a--b", False),
        (r"\d{12}", "123456789012", True),
        (r"\d{12}", "1234567890123", False),
    ],
)
def test_java_semantics(pattern: str, value: str, matches: bool) -> None:
    """Whole-value matching, ASCII \\w and \\d, Unicode categories."""
    assert matches is (compile_java(pattern).fullmatch(value) is not None)


def test_patterns_without_categories_are_unchanged() -> None:
    """Only \\p{..} and the five-digit \\u escapes need rewriting."""
    assert r"[\w+=,.@-]+" == translate(r"[\w+=,.@-]+")
    assert r"[\U00010000-\U0010FFFF]" == translate(r"[\u10000-\u10FFFF]")
