"""The runner's own pages (local only, not in the template): sent emails, health, and the pages
the emails' links open: verify a new address, cancel an email change, restore the old address."""

import html
import json
import uuid
from collections.abc import Callable
from typing import Any

from local_runner.server import LocalPage, Reply, json_reply

_TOKEN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__ (HelloJohn local)</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:3rem auto;max-width:36rem;padding:0 1rem}
small{color:#555}</style></head>
<body><h1>__TITLE__</h1>
<p id="status" role="status">Working&hellip;</p>
<p><small id="detail"></small></p>
<script>
const config = __CONFIG__;
const status = document.getElementById("status");
const detail = document.getElementById("detail");
async function act() {
  let response, body = null;
  try {
    response = await fetch(config.endpoint, {
      method: "POST",
      headers: {"Authorization": "Bearer " + config.publishableKey, "X-Tenant-ID": config.tenantId,
                "Content-Type": "application/json"},
      body: JSON.stringify({token: config.token}),
    });
    if (response.status !== 204) body = await response.json();
  } catch (e) {
    status.textContent = "The local API could not be reached, so nothing was done: "
      + "is the runner still running?";
    return;
  }
  if (response.ok) {
    status.textContent = config.done.replace("{email}", body && body.email ? body.email : "the new address");
  } else if (response.status === 400 && body && body.error && body.error.code === "invalid_request") {
    status.textContent = config.dead;
    detail.textContent = config.elsewhere;
  } else {
    const said = body && body.error ? body.error.message : String(response.status);
    status.textContent = "Nothing was done: the API said \u201c" + said
      + "\u201d. Try the link again in a moment.";
  }
  if (body && body.error) {
    const request = response.headers.get("X-Request-ID") || "?";
    detail.textContent += " (" + body.error.code + ", request " + request + ")";
  }
}
if (config.token) act();
else status.textContent = "This link has no token: open the whole link from the email.";
</script></body></html>
"""

_ELSEWHERE = (
    "These pages act for the runner's demo tenant. A link of another tenant opens that tenant's own "
    "page (scripts/tenant.py's --verify-url-base, --cancel-url-base, --restore-url-base), which "
    "holds its publishable key."
)

# path -> (title, the route the page posts the token to, what it says when done, when the link is dead)
TOKEN_PAGES = {
    "/verify-email": (
        "Confirm your new email address",
        "/v1/auth/email/verify",
        "Done: {email} is now the address of this account.",
        "This link no longer works, so the address was not changed: it was already used, the change "
        "was cancelled or replaced by a newer one, or the link expired. To change the address, ask "
        "for the change again.",
    ),
    "/cancel-email-change": (
        "Cancel the email change",
        "/v1/auth/email/cancel",
        "Done: the change was cancelled; the address of this account stays as it was.",
        "This link no longer works, so nothing was cancelled: the change was already confirmed, "
        "already cancelled, or replaced by a newer one, or the link expired. If the change was "
        "confirmed and you did not ask for it, use the restore link in the \u201cemail changed\u201d "
        "notice sent to your old address instead.",
    ),
    "/restore-email": (
        "Restore your email address",
        "/v1/auth/email/restore",
        "Done: this address is the account's again, and every session was signed out: sign in again.",
        "This link no longer works, so nothing was restored: it was already used (the address was "
        "restored then: sign in with it), a restore of an earlier change replaced it, or the link "
        "expired (restore links last 7 days).",
    ),
}


def token_page(path: str, tenant_id: str, publishable_key: str) -> LocalPage:
    """`GET /verify-email?token=…`, `/cancel-email-change?token=…`, `/restore-email?token=…` (the
    emails' links): the page posts the token to its route with the demo tenant's id and
    publishable key (the runner knows no other tenant's key), and says in words what happened:
    the API answers every dead link with one `invalid_request` (it tells no one which state a
    link's account is in), so the page names the possible reasons and what to do next."""
    title, endpoint, done, dead = TOKEN_PAGES[path]
    page = _TOKEN_PAGE.replace("__TITLE__", html.escape(title))

    def reply(query: dict[str, list[str]]) -> Reply:
        token = (query.get("token") or [""])[-1]
        config = {
            "token": token,
            "tenantId": tenant_id,
            "publishableKey": publishable_key,
            "endpoint": endpoint,
            "done": done,
            "dead": dead,
            "elsewhere": _ELSEWHERE,
        }
        text = page.replace("__CONFIG__", json.dumps(config).replace("<", "\\u003c"))
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Cache-Control", "no-store"),
            ("X-Request-ID", str(uuid.uuid4())),
        ]
        return Reply(200, headers, text.encode())

    return reply


def json_page(produce: Callable[[], Any]) -> LocalPage:
    def page(_: dict[str, list[str]]) -> Reply:
        return json_reply(produce())

    return page
