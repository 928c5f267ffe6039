"""The emails SES (moto) accepted: shown in the console and listed at `GET /_local/emails`.

moto keeps one body per message and no time, so the runner listens at the boto3 boundary instead:
the parameters of each `ses.SendEmail` call are kept once SES has answered it with success. The
functions run in execution environments of their own (`environments`): each listens in its own
process (`echo=False`) and hands what it captured back with the invocation's result (`drain`);
the runner's outbox `add`s it, prints it and lists it.
"""

import re
import threading
from datetime import UTC, datetime
from typing import Any

import boto3

LINK = re.compile(r"https?://[^\s<>\"']+")
_KEY = "hellojohn_local_email"


class Outbox:
    def __init__(self, echo: bool = True) -> None:
        self._lock = threading.Lock()
        self._sent: list[dict[str, Any]] = []
        self._echo = echo

    def install(self, session: boto3.Session) -> None:
        """Listen on `session` (the default one): clients created afterwards report their sends."""
        session.events.register("provide-client-params.ses.SendEmail", self._before)
        session.events.register("after-call.ses.SendEmail", self._after)

    def all(self) -> list[dict[str, Any]]:
        """`{"to", "subject", "text", "html", "sent_at"}` for each email, oldest first."""
        with self._lock:
            return [dict(e) for e in self._sent]

    def drain(self) -> list[dict[str, Any]]:
        """Every email captured so far, forgotten here (an environment's, for the runner)."""
        with self._lock:
            sent, self._sent = self._sent, []
            return sent

    def add(self, emails: list[dict[str, Any]]) -> None:
        """Emails captured elsewhere (by an environment), in the order they were sent."""
        for email in emails:
            with self._lock:
                self._sent.append(email)
            if self._echo:
                _print(email)

    def _before(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_KEY] = params

    def _after(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        params = context.pop(_KEY, None)
        if params is None or http_response.status_code >= 300:
            return
        body = params.get("Message", {}).get("Body", {})
        email = {
            "to": ", ".join(params.get("Destination", {}).get("ToAddresses", [])),
            "subject": params.get("Message", {}).get("Subject", {}).get("Data", ""),
            "text": body.get("Text", {}).get("Data", ""),
            "html": body.get("Html", {}).get("Data", ""),
            "sent_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self.add([email])


def _print(email: dict[str, Any]) -> None:
    link = LINK.search(email["text"]) or LINK.search(email["html"])
    print(f"@ email to {email['to']}: {email['subject']}", flush=True)
    if link:
        print(f"    {link.group(0).rstrip('.,)')}", flush=True)
