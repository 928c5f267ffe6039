"""Fixtures of the handler tests: the asynchronous pipeline."""

import pytest

from tests.pipeline import Pipeline

SENDER = "no-reply@acme.test"  # the `tenant` fixture's email_from


@pytest.fixture
def pipe(aws: dict[str, str]) -> Pipeline:
    """The stream -> router -> queues -> workers chain, with the tenant's sender verified in SES."""
    Pipeline.verify_sender(SENDER)
    return Pipeline(aws)
