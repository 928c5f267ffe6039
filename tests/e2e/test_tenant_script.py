"""`make tenant` (`python -m scripts.tenant`): against the running local runner, and against a
deployed stack found through its CloudFormation outputs (here, a stack in a moto server)."""

import hashlib
import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from local_runner.aws import safe_environment
from scripts import tenant as tenant_script
from tests.conftest import PASSWORD
from tests.e2e.conftest import ROOT, Http, Runner, make_tenant, sign_in, unique_email

pytestmark = pytest.mark.e2e


def _script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.tenant", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_local_tenant_keys_work_and_are_last(api: Http, runner: Runner) -> None:
    tenant = make_tenant(runner, "Initech")
    assert tenant.secret_key.startswith("sk_test_") and tenant.publishable_key.startswith("pk_test_")
    email = unique_email("initech")
    created = api("POST", "/v1/users", {"email": email, "password": PASSWORD}, tenant.admin())
    assert created.status == 201, created.body
    assert sign_in(api, tenant, email)["access_token"]


def test_local_mode_without_a_runner_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # in-process: both refusals come before the script touches the environment
    assert tenant_script.main(["--name", "Acme", "--state-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "local runner is not running" in err and "make run" in err
    (tmp_path / "stack.json").write_text(json.dumps({"endpoint_url": "http://127.0.0.1:9", "api_url": "x"}))
    assert tenant_script.main(["--name", "Acme", "--state-dir", str(tmp_path)]) == 1
    assert "not running" in capsys.readouterr().err


def test_a_bad_origin_is_refused(runner: Runner) -> None:
    out = _script(
        "--name", "Acme", "--state-dir", str(runner.state_dir), "--allowed-origin", "https://a.example/app"
    )
    assert out.returncode == 1
    assert "'https://a.example/app' is not an origin" in out.stderr


@pytest.fixture(scope="module")
def moto_stack() -> Iterator[dict[str, str]]:
    """A moto server holding a CloudFormation stack shaped like a deployed prod one (its outputs)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = safe_environment(os.environ, endpoint=f"http://{host}:{port}")
    key = [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}]
    attrs = [{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK")]
    body = {
        "Parameters": {"Stage": {"Type": "String"}},
        "Resources": {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "KeySchema": key,
                    "AttributeDefinitions": attrs,
                    "BillingMode": "PAY_PER_REQUEST",
                },
            }
        },
        "Outputs": {
            "TableName": {"Value": {"Ref": "Table"}},
            "SigningKeySecretArn": {"Value": "arn:aws:secretsmanager:us-east-1:123456789012:secret:seed"},
            "ApiUrl": {"Value": "https://abc.execute-api.us-east-1.amazonaws.com/prod"},
        },
    }
    cfn = boto3.client(
        "cloudformation", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    cfn.create_stack(
        StackName="hellojohn-users-prod",
        TemplateBody=json.dumps(body),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": "prod"}],
    )
    try:
        yield env
    finally:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("POST", "/moto-api/reset")  # moto's state is process-wide: leave none behind
        conn.getresponse().read()
        conn.close()
        server.stop()


def test_stack_mode_finds_the_table_through_the_outputs(moto_stack: dict[str, str]) -> None:
    out = _script(
        "--name", "Acme", "--stack", "hellojohn-users-prod",
        "--email-from", "no-reply@acme.example", "--verify-url-base", "https://app.acme.example/verify",
        "--allowed-origin", "https://app.acme.example:443", "--roles", "admin,member,viewer",
        "--restore-url-base", "https://app.acme.example/account/restore",
        "--no-notice", "password_changed", "--no-notice", "email_change_requested",
        env=moto_stack,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    created = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(created) == {"tenant_id", "secret_key", "publishable_key"}
    assert created["secret_key"].startswith("sk_live_") and created["publishable_key"].startswith("pk_live_")

    ddb = boto3.client(
        "dynamodb", endpoint_url=moto_stack["AWS_ENDPOINT_URL"], region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    [table] = ddb.list_tables()["TableNames"]
    tenant = ddb.get_item(
        TableName=table, Key={"PK": {"S": f"TNT#{created['tenant_id']}"}, "SK": {"S": "TENANT"}}
    )
    item = tenant["Item"]
    assert item["email_from"]["S"] == "no-reply@acme.example"
    assert [o["S"] for o in item["allowed_origins"]["L"]] == ["https://app.acme.example"]
    assert [r["S"] for r in item["roles"]["L"]] == ["admin", "member", "viewer"]
    # the notices: two switched off; the cancel page next to the verify page, the restore page given
    assert [n["S"] for n in item["notices_off"]["L"]] == ["email_change_requested", "password_changed"]
    assert item["cancel_url_base"]["S"] == "https://app.acme.example/cancel-email-change"
    assert item["restore_url_base"]["S"] == "https://app.acme.example/account/restore"
    assert "security notices: email_changed" in out.stdout
    digest = hashlib.sha256(created["secret_key"].encode()).hexdigest()
    key = ddb.get_item(TableName=table, Key={"PK": {"S": f"KEY#{digest}"}, "SK": {"S": "KEY"}})["Item"]
    assert key["tenant_id"]["S"] == created["tenant_id"] and key["kind"]["S"] == "secret"


def test_stack_mode_needs_a_sender_and_a_verify_page(moto_stack: dict[str, str]) -> None:
    out = _script("--name", "Acme", "--stack", "hellojohn-users-prod", env=moto_stack)
    assert out.returncode == 1
    assert "--email-from" in out.stderr and "--verify-url-base" in out.stderr
    missing = _script(
        "--name", "Acme", "--stack", "no-such-stack", "--email-from", "a@b.example", env=moto_stack
    )
    assert missing.returncode == 1 and "no-such-stack" in missing.stderr
