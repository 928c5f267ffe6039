"""The runner's link pages: nothing to type, and what happened said in words (local_runner/pages.py)."""

import json
import re

import pytest

from local_runner import pages


def _config(path: str, token: str) -> tuple[str, dict[str, str]]:
    reply = pages.token_page(path, "tnt_demo", "pk_demo")({"token": [token]})
    text = reply.body.decode()
    match = re.search(r"const config = (\{.*?\});\n", text)
    assert match is not None
    return text, json.loads(match.group(1))


@pytest.mark.parametrize("path", sorted(pages.TOKEN_PAGES))
def test_a_link_page_asks_for_nothing_and_acts_for_the_demo_tenant(path: str) -> None:
    text, config = _config(path, "tok</script>")
    assert "<input" not in text and "<form" not in text  # no tenant id or key typed by hand
    assert (config["tenantId"], config["publishableKey"], config["token"]) == (
        "tnt_demo",
        "pk_demo",
        "tok</script>",
    )
    assert "</script>" not in text.split("const config = ", 1)[1].split(";\n", 1)[0]  # escaped
    assert config["endpoint"] == pages.TOKEN_PAGES[path][1]
    assert "invalid_request" not in config["dead"] and "no longer works" in config["dead"]


def test_a_cancel_link_after_the_change_was_confirmed_points_to_the_restore_link() -> None:
    _, config = _config("/cancel-email-change", "t")
    assert "already confirmed" in config["dead"]
    assert "restore link in the \u201cemail changed\u201d notice" in config["dead"]
    assert config["done"].startswith("Done: the change was cancelled")


def test_a_used_restore_link_says_the_address_was_restored_then() -> None:
    _, config = _config("/restore-email", "t")
    assert "already used (the address was restored then: sign in with it)" in config["dead"]
    assert "sign in again" in config["done"]
