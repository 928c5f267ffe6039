"""Lambda event filtering: an event source mapping's FilterCriteria, in the syntax Lambda accepts.

A record is delivered when any pattern matches it ("Control which events Lambda sends to your
function", invocation-eventfiltering in the Lambda guide). A pattern is a JSON object: every key
must match (AND); `"$or": [pattern, ...]` matches when one of its patterns does; a leaf is a list
of rules, one of which must match the field (OR). Rules: a literal (string, number, `null`;
`""` is the empty string), `{"prefix": s}`, `{"suffix": s}`, `{"equals-ignore-case": s}`,
`{"anything-but": value | [values] | {"prefix": s} | {"suffix": s}}`, `{"numeric": [op, n, ...]}`
with `=`, `<`, `<=`, `>`, `>=`, and `{"exists": bool}`. A field holding a list matches when one of
its elements does. An SQS record's body is matched as an object when it is JSON, as Lambda does,
else as the plain string. A pattern using anything else is refused when the mapping is made (AWS
refuses it at CreateEventSourceMapping), not silently matched.
"""

import json
import operator
from collections.abc import Callable, Mapping
from typing import Any

_MISSING = object()
_NUMERIC: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def matches(patterns: tuple[dict[str, Any], ...], record: Mapping[str, Any]) -> bool:
    """Whether the mapping delivers `record` (no patterns: every record)."""
    return not patterns or any(_match(p, record) for p in patterns)


def check(patterns: tuple[dict[str, Any], ...]) -> None:
    """Raise ValueError for a pattern Lambda would refuse (or that this module does not know)."""
    for pattern in patterns:
        _check(pattern)


def sqs_view(record: dict[str, Any]) -> dict[str, Any]:
    """The SQS record as filters see it: a JSON body parsed."""
    try:
        return {**record, "body": json.loads(record["body"])}
    except (ValueError, TypeError):
        return record


def _check(pattern: Any) -> None:
    if not isinstance(pattern, dict) or not pattern:
        raise ValueError(f"a filter pattern is a non-empty JSON object: {pattern!r}")
    for key, rule in pattern.items():
        if key == "$or":
            if not isinstance(rule, list) or len(rule) < 2:
                raise ValueError('"$or" takes a list of at least two patterns')
            for alternative in rule:
                _check(alternative)
        elif isinstance(rule, dict):
            _check(rule)
        elif isinstance(rule, list) and rule:
            for leaf in rule:
                _check_leaf(leaf)
        else:
            raise ValueError(f"{key!r}: a filter leaf is a non-empty list of rules, not {rule!r}")


def _check_leaf(rule: Any) -> None:
    if rule is None or (isinstance(rule, str | int | float) and not isinstance(rule, bool)):
        return
    if not isinstance(rule, dict) or len(rule) != 1:
        raise ValueError(f"unknown filter rule: {rule!r}")
    (name, arg), *_ = rule.items()
    if name in ("prefix", "suffix", "equals-ignore-case") and isinstance(arg, str):
        return
    if name == "exists" and isinstance(arg, bool):
        return
    if name == "anything-but":
        if isinstance(arg, dict) and len(arg) == 1 and set(arg) <= {"prefix", "suffix"}:
            return
        values = arg if isinstance(arg, list) else [arg]
        if values and all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
            return
    if name == "numeric" and isinstance(arg, list) and arg and len(arg) % 2 == 0:
        ops, numbers = arg[::2], arg[1::2]
        if all(o in _NUMERIC for o in ops) and all(_is_number(n) for n in numbers):
            return
    raise ValueError(f"unknown filter rule: {rule!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _match(pattern: dict[str, Any], value: Any) -> bool:
    for key, rule in pattern.items():
        if key == "$or":
            if not any(_match(alternative, value) for alternative in rule):
                return False
            continue
        field = value.get(key, _MISSING) if isinstance(value, Mapping) else _MISSING
        if isinstance(rule, dict):
            if not _match(rule, field):
                return False
        elif not any(_leaf(r, field) for r in rule):
            return False
    return True


def _leaf(rule: Any, value: Any) -> bool:
    if isinstance(rule, dict) and "exists" in rule:
        wanted: bool = rule["exists"]  # check() lets only a bool through
        return (value is not _MISSING) == wanted
    if isinstance(value, list):
        return any(_leaf(rule, v) for v in value)
    if value is _MISSING:
        return False
    if not isinstance(rule, dict):
        return value == rule and isinstance(value, bool) == isinstance(rule, bool)
    (name, arg), *_ = rule.items()
    return _RULES[name](arg, value)


def _anything_but(arg: Any, value: Any) -> bool:
    if isinstance(arg, dict):
        return not _leaf(arg, value)
    return value not in (arg if isinstance(arg, list) else [arg])


_RULES: dict[str, Callable[[Any, Any], bool]] = {
    "prefix": lambda arg, value: isinstance(value, str) and value.startswith(arg),
    "suffix": lambda arg, value: isinstance(value, str) and value.endswith(arg),
    "equals-ignore-case": lambda arg, value: isinstance(value, str) and value.casefold() == arg.casefold(),
    "anything-but": _anything_but,
    "numeric": lambda arg, value: (
        _is_number(value) and all(_NUMERIC[o](value, n) for o, n in zip(arg[::2], arg[1::2], strict=True))
    ),
}
