"""The counters the workers write (hellojohn.signals; docs/OPERATIONS.md, "Metrics"): committed
changes by type, once each, from the stream router; verification emails and notices sent and failed."""

from typing import Any

import pytest

from tests.conftest import Api, Tenant, sign_in
from tests.emf import emitted, totals
from tests.pipeline import Pipeline, failing


def test_each_committed_change_is_counted_once_by_its_type(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    assert api("PATCH", f"/v1/users/{user['id']}", {"name": "Alicia"}, tenant.admin()).status == 200
    sign_in(api, tenant)
    assert api("POST", f"/v1/users/{user['id']}/disable", None, tenant.admin()).status == 200
    capsys.readouterr()
    pipe.pump()
    found = {k: v for k, v in totals(emitted(capsys.readouterr().out)).items() if k.startswith("UserChanges")}
    assert found == {
        "UserChanges{change=user.created}": 1,
        "UserChanges{change=user.updated}": 1,
        "UserChanges{change=user.signed_in}": 1,
        "UserChanges{change=user.disabled}": 1,
    }


def test_a_verification_email_is_counted_sent_and_a_failed_send_failed(
    api: Api,
    tenant: Tenant,
    user: dict[str, Any],
    pipe: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from hellojohn.adapters import mail

    ses = mail.ses()
    monkeypatch.setattr(ses, "send_email", failing(1, "SendEmail", then=ses.send_email))
    change = {"email": "counted@example.com"}
    assert api("PATCH", f"/v1/users/{user['id']}", change, tenant.admin()).status == 200
    capsys.readouterr()
    pipe.pump()  # the first send fails, the job comes back, the second goes out
    assert len(pipe.emails("counted@example.com")) == 1
    found = totals(emitted(capsys.readouterr().out))
    assert found["VerificationEmailsFailed"] == 1 and found["VerificationEmailsSent"] == 1
    assert found["UserChanges{change=user.email_change_requested}"] == 1


def test_a_notice_is_counted_sent_by_kind_and_a_failed_send_failed(
    api: Api,
    tenant: Tenant,
    user: dict[str, Any],
    pipe: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from hellojohn.adapters import mail

    ses = mail.ses()
    real = ses.send_email
    refused: list[str] = []

    def password_notice_fails_once(**kwargs: Any) -> Any:
        if "password" in kwargs["Message"]["Subject"]["Data"].lower() and not refused:
            refused.append(kwargs["Message"]["Subject"]["Data"])
            raise failing(1, "SendEmail")()
        return real(**kwargs)

    monkeypatch.setattr(ses, "send_email", password_notice_fails_once)
    change = {"email": "noticed@example.com"}
    assert api("PATCH", f"/v1/users/{user['id']}", change, tenant.admin()).status == 200
    password = {"password": "An0ther-long-passphrase!"}
    assert api("POST", f"/v1/users/{user['id']}/password", password, tenant.admin()).status == 200
    capsys.readouterr()
    pipe.pump()  # the password notice's first send fails, its job comes back, the second goes out
    found = {k: v for k, v in totals(emitted(capsys.readouterr().out)).items() if k.startswith("Notices")}
    assert len(refused) == 1
    assert found == {
        "NoticesSent{kind=email_change_requested}": 1,
        "NoticesSent{kind=password_changed}": 1,
        "NoticesFailed{kind=password_changed}": 1,
    }
