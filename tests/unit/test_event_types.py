"""The change events' catalogue is one definition (`hellojohn.event_types`): every type that
`rules/change_events.py` and `rules/purge.py` can emit is named from it, none is spelled out there,
and the catalogue holds no type they cannot emit. The webhooks' `event_types` filter and
docs/EVENTS.md's table are checked against the same tuple."""

import ast
import inspect
import re
from pathlib import Path

import pytest
from hellojohn import event_types
from hellojohn.rules import change_events, purge

ROOT = Path(__file__).resolve().parents[2]
TYPE = re.compile(r"user\.[a-z_]+")


def _named(module: object, alias: str) -> list[str]:
    """The catalogue's types a module names (`alias.NAME`), in the order they appear."""
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    found = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == alias
    ]
    found.sort(key=lambda node: (node.lineno, node.col_offset))
    return [getattr(event_types, node.attr) for node in found]


def _spelled(module: object) -> list[str]:
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and TYPE.fullmatch(node.value)
    ]


def test_the_catalogue_is_every_type_the_events_and_the_purge_can_emit() -> None:
    emitted = _named(change_events, "types") + _named(purge, "event_types")
    assert set(emitted) == set(event_types.CATALOGUE)
    assert len(event_types.CATALOGUE) == len(set(event_types.CATALOGUE))
    assert _spelled(change_events) == [] and _spelled(purge) == []  # none typed in beside it


def test_the_catalogue_is_in_the_order_a_change_is_named() -> None:
    """`user.created` first (no item before), then `_name`'s order; `user.deleted` (the purge's) last."""
    order = list(dict.fromkeys(_named(change_events, "types")))
    assert order == [t for t in event_types.CATALOGUE if t != event_types.DELETED]
    assert _named(purge, "event_types") == [event_types.DELETED]


def test_the_docs_table_is_the_catalogue() -> None:
    text = (ROOT / "docs" / "EVENTS.md").read_text()
    table = text.split("## The catalogue", 1)[1].split("\n\n", 2)[2].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `user.")]
    documented = {t for line in rows for t in TYPE.findall(line.split("|")[1])}
    assert documented == set(event_types.CATALOGUE)


def test_webhooks_filter_on_every_type_and_no_other() -> None:
    from hellojohn.models import WebhookCreate
    from pydantic import ValidationError

    url = "https://hooks.example.com/in"
    assert WebhookCreate(url=url, event_types=list(event_types.CATALOGUE)).event_types == list(
        event_types.CATALOGUE
    )
    with pytest.raises(ValidationError):
        WebhookCreate(url=url, event_types=["user.nope"])
