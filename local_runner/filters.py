"""Lambda event filtering (an event source mapping's FilterCriteria), for the rules templates use.

A record is delivered when any pattern matches it. A pattern is a JSON object whose leaves are
lists of allowed values; supported value rules: literals, `{"prefix": ...}`, `{"exists": bool}`,
`{"anything-but": [...]}`. An SQS record's JSON body is matched as an object, as Lambda does.
"""

import json
from typing import Any

_MISSING = object()


def matches(patterns: tuple[dict[str, Any], ...], record: dict[str, Any]) -> bool:
    return not patterns or any(_match(p, record) for p in patterns)


def sqs_view(record: dict[str, Any]) -> dict[str, Any]:
    """The SQS record as filters see it: a JSON body parsed."""
    try:
        return {**record, "body": json.loads(record["body"])}
    except (ValueError, TypeError):
        return record


def _match(pattern: dict[str, Any], value: Any) -> bool:
    for key, rule in pattern.items():
        field = value.get(key, _MISSING) if isinstance(value, dict) else _MISSING
        if isinstance(rule, dict):
            if not _match(rule, field):
                return False
        elif not any(_leaf(r, field) for r in rule):
            return False
    return True


def _leaf(rule: Any, value: Any) -> bool:
    if isinstance(value, list):
        return any(_leaf(rule, v) for v in value)
    if isinstance(rule, dict):
        if "exists" in rule:
            return (value is not _MISSING) == bool(rule["exists"])
        if "prefix" in rule:
            return isinstance(value, str) and value.startswith(rule["prefix"])
        if "anything-but" in rule:
            banned = rule["anything-but"]
            return value is not _MISSING and value not in (banned if isinstance(banned, list) else [banned])
        raise ValueError(f"filter rule not supported by the local runner: {rule}")
    return value is not _MISSING and value == rule
