"""The email keys' migration (`scripts/rekey_emails.py`, `hellojohn.store.rekey`): users keyed by
the old rule (NFC, lower case, the domain in Unicode) are moved to today's key (NFKC, case-folded,
the domain in punycode), once, without a notice, a job or a change event; look-alike accounts
that already exist are listed and left alone."""

from typing import Any

from hellojohn.store import keys
from hellojohn.store.client import dynamodb, table_name

from scripts import rekey_emails
from tests.conftest import PASSWORD, Api, Tenant, sign_in
from tests.pipeline import Pipeline
from tests.security.helpers import table_items


def _create(api: Api, tenant: Tenant, email: str) -> dict[str, Any]:
    reply = api("POST", "/v1/users", {"email": email, "password": PASSWORD}, tenant.admin())
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _as_the_old_rule_left_it(tenant: Tenant, uid: str, email: str, old_key: str, new_key: str) -> None:
    """The user's item, and its claim, as the release before NFKC and IDNA keys wrote them."""
    client, table = dynamodb(), table_name()
    client.delete_item(TableName=table, Key=keys.email_claim(tenant.id, new_key))
    client.put_item(TableName=table, Item={**keys.email_claim(tenant.id, old_key), "user_id": {"S": uid}})
    client.update_item(
        TableName=table,
        Key=keys.user(tenant.id, uid),
        UpdateExpression="SET email_key = :old, email = :email",
        ExpressionAttributeValues={":old": {"S": old_key}, ":email": {"S": email}},
    )


def _claims() -> dict[str, str]:
    return {
        i["PK"]["S"].split("#EMAIL#", 1)[1]: i["user_id"]["S"]
        for i in table_items()
        if "#EMAIL#" in i["PK"]["S"]
    }


def test_old_keys_are_moved_once_and_look_alikes_are_listed(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    idn = _create(api, tenant, "Idn@bücher.de")
    _as_the_old_rule_left_it(tenant, idn["id"], "Idn@bücher.de", "idn@bücher.de", "idn@xn--bcher-kva.de")
    twin = _create(api, tenant, "twin@example.com")  # then made the fullwidth look-alike of alice
    _as_the_old_rule_left_it(
        tenant, twin["id"], "\uff41lice@example.com", "\uff41lice@example.com", "twin@example.com"
    )
    pipe.pump()
    sent, history = len(pipe.emails()), len([i for i in table_items() if i["SK"]["S"].startswith("EVT#")])
    # before the migration, the IDN user is not found by their address
    reply = api("POST", "/v1/auth/sign-in", {"email": "idn@bücher.de", "password": PASSWORD}, tenant.public())
    assert reply.status == 401

    etag = api("GET", f"/v1/users/{idn['id']}", headers=tenant.admin()).headers["ETag"]
    result = rekey_emails.run()
    assert api("GET", f"/v1/users/{idn['id']}", headers=tenant.admin()).headers["ETag"] == etag

    # no notice, verification, session job or change event came of it
    pipe.pump()
    assert len(pipe.emails()) == sent
    assert len([i for i in table_items() if i["SK"]["S"].startswith("EVT#")]) == history
    assert result.moved == 1
    assert result.look_alikes == [{"tenant_id": tenant.id, "user_id": twin["id"], "key": "alice@example.com"}]
    assert _claims() == {
        "alice@example.com": user["id"],
        "idn@xn--bcher-kva.de": idn["id"],
        "\uff41lice@example.com": twin["id"],  # left as it was, for an admin to change
    }
    sign_in(api, tenant, "IDN@xn--bcher-kva.de")
    sign_in(api, tenant, "idn@bücher.de")
    # the IDN user is held against a look-alike again
    taken = api("POST", "/v1/users", {"email": "idn@BÜCHER.de"}, tenant.admin())
    assert (taken.status, taken.error) == (409, "email_taken")
    # a second run moves nothing and lists the look-alike again
    again = rekey_emails.run()
    assert again.moved == 0 and len(again.look_alikes) == 1
