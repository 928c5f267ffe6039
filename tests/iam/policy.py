"""An IAM identity-policy evaluator for exactly the policy language template.yaml uses.

Why not a library: principalmapper (the usual local evaluator) does not import on Python 3.13
(`from collections import Mapping`, in 1.1.5, its last release, of January 2022, and in its fork),
and moto's evaluator implements only `StringEquals` and checks DynamoDB against resource `*`.
So this module implements AWS's documented evaluation logic for identity policies, and fails loudly
on anything outside it (an unknown condition operator, a policy variable), never silently allowing:

- an explicit Deny wins; else any matching Allow allows; else the request is implicitly denied;
- `Action`/`NotAction` match case-insensitively, `Resource`/`NotResource` case-sensitively, both
  with the `*` and `?` wildcards;
- `Condition`: every operator must hold, every key under it must hold, any one value of a key
  suffices; operators `StringEquals`, `StringNotEquals`, `StringLike`, `StringNotLike`, each
  optionally with `IfExists` or a set qualifier:
  `ForAllValues:` holds when every value in the request matches some policy value, and also when
  the key is absent or empty (AWS's documented behaviour, the reason a `ForAllValues` grant on
  `dynamodb:LeadingKeys` also allows keyless calls such as `Scan`); `ForAnyValue:` holds when at
  least one value matches, and not when the key is absent. A multivalued key such as
  `dynamodb:LeadingKeys` under an unqualified operator is refused (AWS compares it as a set only
  with a qualifier; the template must use one).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

MULTIVALUED = frozenset({"dynamodb:leadingkeys", "dynamodb:attributes"})
_OPERATORS = frozenset({"StringEquals", "StringNotEquals", "StringLike", "StringNotLike"})

Context = dict[str, list[str]]


class Unsupported(ValueError):
    """The policy uses IAM semantics this evaluator does not implement."""


@dataclass(frozen=True)
class Match:
    """One Allow or Deny that matched a request: the statement, and what in it matched."""

    policy: str
    statement: int  # index in the policy's Statement list
    effect: str
    actions: tuple[str, ...]  # the statement's action patterns the request matched
    resources: tuple[str, ...]  # the statement's resource patterns the request matched
    key_patterns: tuple[str, ...]  # the LeadingKeys condition values the request's keys matched


@dataclass(frozen=True)
class Decision:
    allowed: bool
    matches: tuple[Match, ...]  # every matching statement (Allows and Denies)


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


@cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    if "${" in glob:
        raise Unsupported(f"policy variables are not implemented: {glob!r}")
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_match(glob: str, value: str, *, ignore_case: bool = False) -> bool:
    return _pattern(glob, ignore_case).match(value) is not None


def _value_matches(operator: str, policy_value: str, value: str) -> bool:
    if operator in {"StringEquals", "StringNotEquals"}:
        return policy_value == value
    return glob_match(policy_value, value)  # StringLike, StringNotLike: case-sensitive


def _key_holds(block: str, key: str, policy_values: list[str], context: Context) -> tuple[bool, set[str]]:
    """Whether the condition key holds, and the policy values that some request value matched."""
    qualifier, _, operator = block.rpartition(":")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    if operator not in _OPERATORS or qualifier not in {"", "ForAllValues", "ForAnyValue"}:
        raise Unsupported(f"condition operator {block!r} is not implemented")
    negated = "Not" in operator
    present = {k.lower(): v for k, v in context.items()}
    values = present.get(key.lower())
    matched = {p for p in policy_values for v in values or [] if _value_matches(operator, p, v)}

    def hit(v: str) -> bool:
        return any(_value_matches(operator, p, v) for p in policy_values)

    if qualifier == "ForAllValues":
        ok = all((not hit(v)) if negated else hit(v) for v in values or [])
        return ok, matched
    if qualifier == "ForAnyValue":
        if not values:
            return False, matched
        return any((not hit(v)) if negated else hit(v) for v in values), matched
    if key.lower() in MULTIVALUED:
        raise Unsupported(f"multivalued key {key} under {block} without ForAllValues/ForAnyValue")
    if values is None:
        return (True if negated else if_exists), matched
    [value] = values
    return ((not hit(value)) if negated else hit(value)), matched


def _conditions_hold(condition: dict[str, dict[str, Any]], context: Context) -> tuple[bool, tuple[str, ...]]:
    key_patterns: set[str] = set()
    for block, keys in condition.items():
        for key, policy_values in keys.items():
            holds, matched = _key_holds(block, key, [str(v) for v in _listed(policy_values)], context)
            if not holds:
                return False, ()
            if key.lower() == "dynamodb:leadingkeys" and "Not" not in block:
                key_patterns |= matched
    return True, tuple(sorted(key_patterns))


def _statement_match(
    policy: str, index: int, statement: dict[str, Any], action: str, resource: str, context: Context
) -> Match | None:
    unknown = set(statement) - {
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
    if unknown or "Principal" in statement:
        raise Unsupported(f"statement elements {sorted(unknown)} are not implemented")
    if "Action" in statement:
        actions = tuple(a for a in _listed(statement["Action"]) if glob_match(a, action, ignore_case=True))
        if not actions:
            return None
    elif any(glob_match(a, action, ignore_case=True) for a in _listed(statement["NotAction"])):
        return None
    else:
        actions = ()
    if "Resource" in statement:
        resources = tuple(r for r in _listed(statement["Resource"]) if glob_match(r, resource))
        if not resources:
            return None
    elif any(glob_match(r, resource) for r in _listed(statement["NotResource"])):
        return None
    else:
        resources = ()
    holds, key_patterns = _conditions_hold(statement.get("Condition") or {}, context)
    if not holds:
        return None
    return Match(policy, index, statement["Effect"], actions, resources, key_patterns)


def evaluate(
    policies: Iterable[tuple[str, dict[str, Any]]], action: str, resource: str, context: Context | None = None
) -> Decision:
    """The decision on one request (action, resource ARN, request context) under identity policies,
    given as (name, policy document) pairs."""
    context = context or {}
    matches: list[Match] = []
    for name, document in policies:
        for index, statement in enumerate(_listed(document["Statement"])):
            found = _statement_match(name, index, statement, action, resource, context)
            if found is not None:
                matches.append(found)
    allowed = any(m.effect == "Allow" for m in matches) and not any(m.effect == "Deny" for m in matches)
    return Decision(allowed, tuple(matches))
