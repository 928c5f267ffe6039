"""The one environment that cannot reach a real AWS account (local_runner/aws.py)."""

import os
from collections.abc import Iterator

import boto3
import pytest

from local_runner.aws import safe_environment, use_safe_environment

REAL = {
    "AWS_PROFILE": "prod-admin",
    "AWS_DEFAULT_PROFILE": "prod-admin",
    "AWS_ACCESS_KEY_ID": "AKIAREALKEY",
    "AWS_SECRET_ACCESS_KEY": "real-secret",
    "AWS_SESSION_TOKEN": "real-token",
    "AWS_SECURITY_TOKEN": "real-token",
    "AWS_ROLE_ARN": "arn:aws:iam::999999999999:role/deploy",
    "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.2/creds",
    "AWS_ENDPOINT_URL": "https://dynamodb.eu-west-1.amazonaws.com",
    "AWS_ENDPOINT_URL_DYNAMODB": "https://dynamodb.eu-west-1.amazonaws.com",
    "AWS_CONFIG_FILE": "/home/dev/.aws/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/home/dev/.aws/credentials",
    "AWS_REGION": "eu-west-1",
}


def test_no_real_credential_source_survives() -> None:
    env = safe_environment({**REAL, "PATH": "/usr/bin", "TABLE_NAME": "t"})
    assert {k: v for k, v in env.items() if not k.startswith("AWS_")} == {
        "PATH": "/usr/bin",
        "TABLE_NAME": "t",
    }
    assert env == {
        "PATH": "/usr/bin",
        "TABLE_NAME": "t",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def test_an_endpoint_and_a_region_when_asked() -> None:
    env = safe_environment(REAL, endpoint="http://127.0.0.1:5000", region="eu-west-1")
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"
    assert env["AWS_DEFAULT_REGION"] == env["AWS_REGION"] == "eu-west-1"
    assert "AWS_ENDPOINT_URL_DYNAMODB" not in env


@pytest.fixture
def fresh_session() -> Iterator[None]:
    yield
    boto3.setup_default_session()  # from the (restored) environment, for the tests that follow


def test_boto3_then_finds_only_the_dummy_credentials(
    monkeypatch: pytest.MonkeyPatch, fresh_session: None
) -> None:
    for key, value in REAL.items():
        monkeypatch.setenv(key, value)
    use_safe_environment("http://127.0.0.1:5000")
    aws = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    assert aws == safe_environment({}, "http://127.0.0.1:5000")  # every real variable gone
    session = boto3.DEFAULT_SESSION
    assert session is not None
    credentials = session.get_credentials()  # the profile "prod-admin" would raise ProfileNotFound
    assert credentials is not None
    assert (credentials.access_key, credentials.secret_key, credentials.token) == ("testing", "testing", None)
    assert session.client("dynamodb").meta.endpoint_url == "http://127.0.0.1:5000"


def test_dynamodb_local_gets_exactly_dynamodb_and_its_streams() -> None:
    """The one per-service endpoint pair it sets: DynamoDB and DynamoDB Streams, nothing else."""
    env = safe_environment(
        {**REAL, "AWS_ENDPOINT_URL_SQS": "https://sqs.eu-west-1.amazonaws.com"},
        endpoint="http://127.0.0.1:5000",
        dynamodb="http://127.0.0.1:8000",
    )
    endpoints = {k: v for k, v in env.items() if k.startswith("AWS_ENDPOINT_URL")}
    assert endpoints == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": "http://127.0.0.1:8000",
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        session = boto3.session.Session()
        assert session.client("dynamodb").meta.endpoint_url == "http://127.0.0.1:8000"
        assert session.client("dynamodbstreams").meta.endpoint_url == "http://127.0.0.1:8000"
        assert session.client("sqs").meta.endpoint_url == "http://127.0.0.1:5000"
        assert session.client("events").meta.endpoint_url == "http://127.0.0.1:5000"
