"""The function environment, read once into one validated model at cold start.

`require()` runs when a function's module is imported (Lambda's init): an environment that cannot
work fails the cold start with one structured log line naming the variables, instead of a
function that imports fine and answers every request with a 500.
"""

from functools import cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Settings(BaseModel):
    """Every environment variable the functions read. Unknown ones are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(alias="TABLE_NAME", min_length=3)
    signing_key_secret: str = Field(alias="SIGNING_KEY_SECRET", min_length=1)
    fingerprint_key_secret: str = Field(default="", alias="FINGERPRINT_KEY_SECRET")
    email_queue_url: str = Field(default="", alias="EMAIL_QUEUE_URL")
    session_cleanup_queue_url: str = Field(default="", alias="SESSION_CLEANUP_QUEUE_URL")
    event_bus_name: str = Field(default="", alias="EVENT_BUS_NAME")
    stage: str = Field(default="dev", alias="STAGE")
    token_issuer: str = Field(default="https://api.hellojohn.dev", alias="TOKEN_ISSUER")
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600, alias="ACCESS_TOKEN_TTL_SECONDS")
    refresh_token_ttl_seconds: int = Field(
        default=30 * 24 * 3600, ge=3600, le=365 * 24 * 3600, alias="REFRESH_TOKEN_TTL_SECONDS"
    )
    # a rotated refresh token presented again within this many seconds is a retry, answered with
    # the same successor; later (or with 0, at once) it is theft and ends the session (SECURITY.md)
    refresh_token_reuse_interval_seconds: int = Field(
        default=30, ge=0, le=300, alias="REFRESH_TOKEN_REUSE_INTERVAL_SECONDS"
    )
    verification_ttl_seconds: int = Field(default=48 * 3600, ge=600, alias="VERIFICATION_TTL_SECONDS")
    cache_ttl_seconds: int = Field(default=60, ge=0, le=60, alias="CACHE_TTL_SECONDS")
    signing_key_max_age_seconds: int = Field(default=300, ge=0, alias="SIGNING_KEY_MAX_AGE_SECONDS")
    argon2_time_cost: int = Field(default=2, ge=2, alias="ARGON2_TIME_COST")
    argon2_memory_kib: int = Field(default=19456, ge=19456, alias="ARGON2_MEMORY_KIB")
    argon2_parallelism: int = Field(default=1, ge=1, alias="ARGON2_PARALLELISM")
    sign_in_refusal_floor_ms: int = Field(default=300, ge=0, le=2000, alias="SIGN_IN_REFUSAL_FLOOR_MS")
    # the counters' CloudWatch namespace (hellojohn.signals); the template's Globals set the same
    metrics_namespace: str = Field(
        default="HelloJohnUsers", alias="POWERTOOLS_METRICS_NAMESPACE", min_length=1
    )
    # webhooks (docs/WEBHOOKS.md): the KMS key of the endpoints' secrets, the delivery jobs' queue
    webhook_key_id: str = Field(default="", alias="WEBHOOK_KEY_ID")
    webhook_delivery_queue_url: str = Field(default="", alias="WEBHOOK_DELIVERY_QUEUE_URL")
    # the local runner's alone (the template never sets it): http:// and https:// to loopback
    webhook_allow_loopback: bool = Field(default=False, alias="WEBHOOK_ALLOW_LOOPBACK")
    # the tests' only: shortens the retry schedule's waits (1: the schedule itself; never longer)
    webhook_retry_scale: float = Field(default=1.0, ge=0, le=1, alias="WEBHOOK_RETRY_SCALE")
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=10, alias="WEBHOOK_TIMEOUT_SECONDS")
    max_sessions_per_user: int = Field(default=1000, ge=1, le=5000, alias="MAX_SESSIONS_PER_USER")


class ConfigurationError(RuntimeError):
    """The environment is not what the template promises: fail the cold start loudly."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(
            "invalid function environment: " + "; ".join(f"{k}: {v}" for k, v in problems.items())
        )
        self.variables = sorted(problems)


@cache
def settings() -> Settings:
    import os

    try:
        return Settings.model_validate(dict(os.environ))
    except ValidationError as exc:
        problems = {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}
        raise ConfigurationError(problems) from None  # not chained: pydantic's error shows the values


def require() -> Settings:
    """The settings, or one structured log line naming what is wrong and the cold start failed."""
    try:
        return settings()
    except ConfigurationError as exc:
        from hellojohn.logs import logger

        logger.critical(str(exc), extra={"invalid_variables": exc.variables})
        raise
