"""A deliberately simple reference interpreter of IAM policies, for property tests.

It reads the raw JSON statements directly, matches by naive recursion and implements only the
features the generated policies use (identity policies, one optional boundary, the string,
numeric and Bool operators with IfExists, and `${aws:username}`). Slow and obvious on purpose.
"""

from __future__ import annotations

from typing import Any

Statement = dict[str, Any]


def glob(pattern: str, text: str) -> bool:
    """`*` matches any run of characters, `?` exactly one, everything else itself."""
    if not pattern:
        return not text
    head = pattern[0]
    if head == "*":
        return any(glob(pattern[1:], text[i:]) for i in range(len(text) + 1))
    if not text:
        return False
    if head == "?" or head == text[0]:
        return glob(pattern[1:], text[1:])
    return False


def arn_match(pattern: str, arn: str, username: str) -> bool:
    """Six colon-separated parts matched one by one; `*` alone matches everything."""
    pattern = pattern.replace("${aws:username}", username)
    if pattern == "*":
        return True
    pattern_parts = pattern.split(":", 5)
    arn_parts = arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return False
    return all(glob(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True))


def as_list(value: Any) -> list[Any]:
    """JSON scalars as one-element lists."""
    return value if isinstance(value, list) else [value]


def condition_holds(operator: str, values: list[Any], actual: str | None) -> bool:
    """One operator on one key."""
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if actual is None:
        return if_exists or base.startswith("StringNot")
    texts = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
    if base == "StringEquals":
        return actual in texts
    if base == "StringNotEquals":
        return actual not in texts
    if base == "StringLike":
        return any(glob(t, actual) for t in texts)
    if base == "NumericLessThan":
        return any(float(actual) < float(t) for t in texts)
    if base == "Bool":
        return actual.lower() in [t.lower() for t in texts]
    raise NotImplementedError(operator)


def statement_applies(statement: Statement, action: str, resource: str,
                      context: dict[str, str], username: str) -> bool:
    """Action, resource and every condition."""
    if "Action" in statement:
        action_ok = any(glob(p.lower(), action.lower()) for p in as_list(statement["Action"]))
    else:
        action_ok = not any(glob(p.lower(), action.lower())
                            for p in as_list(statement["NotAction"]))
    if "Resource" in statement:
        resource_ok = any(arn_match(p, resource, username) for p in as_list(statement["Resource"]))
    else:
        resource_ok = not any(arn_match(p, resource, username)
                              for p in as_list(statement["NotResource"]))
    if not (action_ok and resource_ok):
        return False
    for operator, block in statement.get("Condition", {}).items():
        for key, values in block.items():
            if not condition_holds(operator, as_list(values), context.get(key)):
                return False
    return True


def decide(policies: list[list[Statement]], boundary: list[Statement] | None, *, action: str,
           resource: str, context: dict[str, str], username: str) -> str:
    """Explicit deny anywhere, else identity allow and (if any) boundary allow, else deny."""
    def effects(statements: list[Statement]) -> set[str]:
        return {s["Effect"] for s in statements
                if statement_applies(s, action, resource, context, username)}

    identity = set().union(*(effects(p) for p in policies)) if policies else set()
    limit = effects(boundary) if boundary is not None else {"Allow"}
    if "Deny" in identity or "Deny" in limit:
        return "ExplicitDeny"
    if "Allow" in identity and "Allow" in limit:
        return "Allow"
    return "ImplicitDeny"
