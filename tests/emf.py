"""The EMF documents (CloudWatch embedded metric format) the functions print: hellojohn.signals's counters."""

import json
from typing import Any


def emitted(out: str) -> list[dict[str, Any]]:
    """The EMF documents among stdout's lines (the Logger writes JSON lines there too)."""
    docs = []
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            docs.append(json.loads(line))
    return docs


def totals(docs: list[dict[str, Any]]) -> dict[str, float]:
    """`Name{dim=value}` (dimensions other than service) -> the sum of its values."""
    found: dict[str, float] = {}
    for doc in docs:
        [directive] = doc["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "HelloJohnUsers"
        [dims] = directive["Dimensions"]
        assert doc["service"] == "hellojohn-users" and "service" in dims
        labels = ",".join(f"{d}={doc[d]}" for d in sorted(dims) if d != "service")
        for metric in directive["Metrics"]:
            assert metric["Unit"] == "Count"
            key = metric["Name"] + (f"{{{labels}}}" if labels else "")
            value = doc[metric["Name"]]
            found[key] = found.get(key, 0) + sum(value if isinstance(value, list) else [value])
    return found
