"""docs/WEBHOOKS.md's Python snippet, run as written against a real delivery (and a forged one)."""

import re
from pathlib import Path
from typing import Any

from tests.conftest import Api, Tenant
from tests.pipeline import Pipeline
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_webhooks import _endpoint, _user, acme, api, receiver, world

__all__ = ["acme", "api", "receiver", "world"]  # the fixtures, shared
DOC = Path(__file__).resolve().parents[2] / "docs" / "WEBHOOKS.md"


def _snippet() -> Any:
    text = DOC.read_text()
    section = text[text.index("### Verify it in Python") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "no python block under 'Verify it in Python'"
    scope: dict[str, Any] = {}
    exec(code.group(1), scope)  # noqa: S102 - the documentation's own code, nothing else
    return scope["verified"]


def test_the_documented_verifier_accepts_a_delivery_and_refuses_a_forgery(
    world: dict[str, str], api: Api, acme: Tenant, receiver: Receiver
) -> None:
    verified = _snippet()
    hook = _endpoint(api, acme, receiver.url("/doc"))
    _user(api, acme)
    Pipeline(world).pump()
    [got] = receiver.at("/doc")
    payload = verified(hook["secret"], got.headers, got.body)
    assert payload is not None and payload["type"] == "user.created"
    assert verified(hook["secret"], got.headers, got.body.replace(b"user.created", b"user.deleted")) is None
