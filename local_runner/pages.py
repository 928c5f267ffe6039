"""The runner's own pages (local only, not in the template): sent emails, health, the verify page."""

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


def verify_page(tenant_id: str, publishable_key: str) -> LocalPage:
    """`GET /verify-email?token=…`: posts the token to /v1/auth/email/verify with the demo tenant's key."""

    def page(query: dict[str, list[str]]) -> Reply:
        token = (query.get("token") or [""])[-1]
        config = {"token": token, "tenantId": tenant_id, "publishableKey": publishable_key}
        text = (
            _VERIFY_PAGE.replace("__CONFIG__", json.dumps(config).replace("<", "\\u003c"))
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
