"""The roles SAM makes from template.yaml, evaluated on the requests the functions make.

The first two tests are the gaps the IAM check found: on the template of commit 47d7ac6 a
`POST /v1/users` could not authenticate its secret key (its only `GetItem` was scoped to `IDEM#`
keys) and a sign-out could not read its tenant for CORS.
"""

import pytest

from tests.iam.policy import evaluate
from tests.iam.requests import LEADING_KEYS
from tests.iam.roles import grants, roles, table_arn

TABLE = table_arn("hellojohn-local-Table")
TENANT = "TNT#tnt_01M8TN58C78JFT77DSBG8PESD9"
KEY = "KEY#7d49b8b6889fb45c981e2a160535e2f268f7733129fee81b67b9b2ab8ddae2bc"
USER = f"{TENANT}#USR#usr_01M8TN5KPM1818D420TNH5Z82J"


def allowed(function: str, action: str, resource: str, *keys: str) -> bool:
    policies = [(p.name, p.document) for p in roles()[function]]
    return evaluate(policies, action, resource, {LEADING_KEYS: list(keys)} if keys else {}).allowed


def test_users_create_may_read_its_api_key_and_tenant() -> None:
    assert allowed("UsersCreateFunction", "dynamodb:GetItem", TABLE, KEY)
    assert allowed("UsersCreateFunction", "dynamodb:GetItem", TABLE, TENANT)


def test_sign_out_may_read_its_tenant_for_cors() -> None:
    assert allowed("AuthSignOutFunction", "dynamodb:GetItem", TABLE, TENANT)


def test_the_public_email_verify_function_cannot_touch_api_keys() -> None:
    for action in ("dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"):
        assert not allowed("AuthEmailVerifyFunction", action, TABLE, KEY)
    assert not allowed("AuthEmailVerifyFunction", "dynamodb:PutItem", TABLE, TENANT)


def test_the_email_worker_reads_its_tenant_and_writes_no_user_item_for_a_notice() -> None:
    """It reads the tenant (sender, links, the notices' switches: a gap before the notices); the
    restore pointer is a partition of its own so that the worker's PutItem cannot reach users."""
    assert allowed("EmailWorkerFunction", "dynamodb:GetItem", TABLE, TENANT)
    assert allowed("EmailWorkerFunction", "dynamodb:PutItem", TABLE, f"{TENANT}#RESTORE#usr_1")
    assert allowed("EmailWorkerFunction", "dynamodb:PutItem", TABLE, f"{TENANT}#NOTICE#chg_1#email_changed")
    assert not allowed("EmailWorkerFunction", "dynamodb:PutItem", TABLE, USER)
    assert not allowed("EmailWorkerFunction", "dynamodb:PutItem", TABLE, TENANT)


@pytest.mark.parametrize("function", ["AuthEmailCancelFunction", "AuthEmailRestoreFunction"])
def test_the_public_notice_link_functions_cannot_touch_keys_tenants_or_verification(function: str) -> None:
    for action in ("dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"):
        assert not allowed(function, action, TABLE, KEY)
        assert not allowed(function, action, TABLE, TENANT)
        assert not allowed(function, action, TABLE, "VFY#abc")
    assert not allowed(function, "dynamodb:PutItem", TABLE, USER)  # users only updated, conditionally
    assert allowed(function, "dynamodb:DeleteItem", TABLE, "NTC#abc")


@pytest.mark.parametrize(
    "function",
    [
        "UsersCreateFunction",
        "UsersSetPasswordFunction",
        "UsersDisableFunction",
        "UsersEnableFunction",
        "AuthPasswordChangeFunction",
        "AuthSignOutFunction",
    ],
)
def test_idempotency_rights_do_not_reach_other_items(function: str) -> None:
    idem = "IDEM#tnt_x#key_y"
    assert allowed(function, "dynamodb:PutItem", TABLE, idem)
    assert not allowed(function, "dynamodb:PutItem", TABLE, KEY)
    assert not allowed(function, "dynamodb:DeleteItem", TABLE, TENANT)


def test_a_tenant_read_grant_is_not_a_user_read_grant() -> None:
    """`TNT#*` alone would match every tenant-scoped item: the tenant grant excludes `TNT#*#*`."""
    assert allowed("UsersUnlockFunction", "dynamodb:GetItem", TABLE, TENANT)
    assert not allowed("UsersUnlockFunction", "dynamodb:GetItem", TABLE, USER)


def test_no_grant_names_an_action_iam_does_not_have() -> None:
    """`TransactWriteItems`/`TransactGetItems` are API operations, not IAM actions."""
    actions = {g.action.lower() for g in grants()}
    assert not actions & {"dynamodb:transactwriteitems", "dynamodb:transactgetitems"}


def test_ses_is_granted_on_the_sender_identities_only() -> None:
    ses = {g.resource for g in grants() if g.action == "ses:SendEmail"}
    assert ses == {
        f"arn:aws:ses:us-east-1:123456789012:identity/{d}" for d in ("acme.test", "globex.example.com")
    }
