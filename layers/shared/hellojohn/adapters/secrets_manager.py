"""Secrets Manager: the provider the service's own keys (the token-signing secret) are read through."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider


def secrets_provider() -> "SecretsProvider":
    """Powertools' default Secrets Manager provider, given a client on boto3's default session (the
    DynamoDB client's). Left to itself it builds a second boto3 session, which reloads the SDK's
    endpoint and partition data: about 0.3 s of CPU at cold start (measured when this was made).
    `parameters.clear_caches()` still resets it."""
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    if "secrets" not in DEFAULT_PROVIDERS:
        import boto3
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        DEFAULT_PROVIDERS["secrets"] = SecretsProvider(boto3_client=boto3.client("secretsmanager"))
    provider: SecretsProvider = DEFAULT_PROVIDERS["secrets"]
    return provider
