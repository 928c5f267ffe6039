"""The runner's own pages (local only, not in the template): sent emails, health, and the pages
the emails' links open: verify a new address, cancel an email change, restore the old address."""

import html
import json
import uuid
from collections.abc import Callable
from typing import Any

from local_runner.server import LocalPage, Reply, json_reply

_VERIFY_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Confirm your email (HelloJohn local)</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:3rem auto;max-width:36rem;padding:0 1rem}
label{display:block;margin:.5rem 0}input{width:100%;font:inherit}</style></head>
<body><h1>Confirm your new email address</h1>
<p id="status">Verifying&hellip;</p>
<form id="retry" hidden>
<p>The link may belong to another tenant than the demo one: give its id and publishable key.</p>
<label>Tenant id <input name="tenant" value="__TENANT__"></label>
<label>Publishable key <input name="key" value="__KEY__"></label>
<button>Verify</button></form>
<script>
const config = __CONFIG__;
const status = document.getElementById("status");
const form = document.getElementById("retry");
async function verify(tenantId, key) {
  status.textContent = "Verifying\\u2026";
  const response = await fetch("/v1/auth/email/verify", {
    method: "POST",
    headers: {"Authorization": "Bearer " + key, "X-Tenant-ID": tenantId, "Content-Type": "application/json"},
    body: JSON.stringify({token: config.token}),
  });
  const body = await response.json();
  if (response.ok) {
    status.textContent = "Done: " + body.email + " is now the address of this account.";
    form.hidden = true;
  } else {
    status.textContent = "Not verified: " + body.error.code + " (" + body.error.message + ")";
    form.hidden = false;
  }
}
form.addEventListener("submit", (e) => { e.preventDefault(); verify(form.tenant.value, form.key.value); });
if (config.token) verify(config.tenantId, config.publishableKey);
else status.textContent = "No token in the link.";
</script></body></html>
"""


_ACTION_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__ (HelloJohn local)</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:3rem auto;max-width:36rem;padding:0 1rem}
label{display:block;margin:.5rem 0}input{width:100%;font:inherit}</style></head>
<body><h1>__TITLE__</h1>
<p id="status">Working&hellip;</p>
<form id="retry" hidden>
<p>The link may belong to another tenant than the demo one: give its id and publishable key.</p>
<label>Tenant id <input name="tenant" value="__TENANT__"></label>
<label>Publishable key <input name="key" value="__KEY__"></label>
<button>Try again</button></form>
<script>
const config = __CONFIG__;
const status = document.getElementById("status");
const form = document.getElementById("retry");
async function act(tenantId, key) {
  status.textContent = "Working\u2026";
  const response = await fetch(config.endpoint, {
    method: "POST",
    headers: {"Authorization": "Bearer " + key, "X-Tenant-ID": tenantId, "Content-Type": "application/json"},
    body: JSON.stringify({token: config.token}),
  });
  if (response.status === 204) {
    status.textContent = config.done;
    form.hidden = true;
  } else {
    const body = await response.json();
    status.textContent = "Not done: " + body.error.code + " (" + body.error.message + ")";
    form.hidden = false;
  }
}
form.addEventListener("submit", (e) => { e.preventDefault(); act(form.tenant.value, form.key.value); });
if (config.token) act(config.tenantId, config.publishableKey);
else status.textContent = "No token in the link.";
</script></body></html>
"""

# path -> (title, the route the page posts the token to, what it says when done)
ACTION_PAGES = {
    "/cancel-email-change": (
        "Cancel the email change",
        "/v1/auth/email/cancel",
        "Done: the change was cancelled; the address of this account stays as it was.",
    ),
    "/restore-email": (
        "Restore your email address",
        "/v1/auth/email/restore",
        "Done: this address is the account's again, and every session was signed out.",
    ),
}


def action_page(path: str, tenant_id: str, publishable_key: str) -> LocalPage:
    """`GET /cancel-email-change?token=…` and `/restore-email?token=…` (the security notices'
    links): post the token to their route with the demo tenant's key, as the verify page does."""
    title, endpoint, done = ACTION_PAGES[path]
    page = _ACTION_PAGE.replace("__TITLE__", html.escape(title))
    return _token_page(page, tenant_id, publishable_key, {"endpoint": endpoint, "done": done})


def verify_page(tenant_id: str, publishable_key: str) -> LocalPage:
    """`GET /verify-email?token=…`: posts the token to /v1/auth/email/verify with the demo tenant's key."""
    return _token_page(_VERIFY_PAGE, tenant_id, publishable_key, {})


def _token_page(template: str, tenant_id: str, publishable_key: str, more: dict[str, str]) -> LocalPage:
    """A page that posts its link's `token` with the demo tenant's id and publishable key."""

    def page(query: dict[str, list[str]]) -> Reply:
        token = (query.get("token") or [""])[-1]
        config = {"token": token, "tenantId": tenant_id, "publishableKey": publishable_key, **more}
        text = (
            template.replace("__CONFIG__", json.dumps(config).replace("<", "\\u003c"))
            .replace("__TENANT__", html.escape(tenant_id))
            .replace("__KEY__", html.escape(publishable_key))
        )
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Cache-Control", "no-store"),
            ("X-Request-ID", str(uuid.uuid4())),
        ]
        return Reply(200, headers, text.encode())

    return page


def json_page(produce: Callable[[], Any]) -> LocalPage:
    def page(_: dict[str, list[str]]) -> Reply:
        return json_reply(produce())

    return page
