"""What the service tells its operator beyond its logs: Powertools Metrics and Tracer, in one place.

- Metrics: counters in one namespace (`POWERTOOLS_METRICS_NAMESPACE`, the template's Globals), written
  as CloudWatch embedded metric format (EMF) on stdout when an invocation ends: CloudWatch Logs
  extracts them, so there is no PutMetricData call and no IAM grant. `count` adds one to a counter;
  dimensions are low-cardinality words only (an outcome, a kind), never a tenant or user id.
- Tracer: X-Ray, with only botocore patched (every AWS call a subsegment; X-Ray's botocore patch
  records the operation and, for a few services, a whitelist of names such as the table, never an
  item). Neither the handler's response (tokens) nor its exception (which may quote input) is
  added to a trace. Powertools turns the Tracer off outside Lambda and with
  POWERTOOLS_TRACE_DISABLED (the tests, the local runner).
- `observed` wraps every function's handler (`edge.resolver.entry`, and one line in each worker):
  the Tracer's subsegment around it, the counters flushed after it, whatever it raised.

The catalogue of counters, and the alarms, are in docs/OPERATIONS.md.
"""

import functools
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from hellojohn.config import settings

tracer = Tracer(patch_modules=("botocore",))

# The counters (the catalogue: docs/OPERATIONS.md, "Metrics")
SIGN_INS = "SignIns"  # dimension outcome: success, or the refusal's error code
LOCKOUTS = "Lockouts"  # dimension account: user, or unknown_email (a stand-in item's lock)
USER_CHANGES = "UserChanges"  # dimension change: the committed change's detail type (docs/EVENTS.md)
STREAM_RECORDS_FAILED = "StreamRecordsFailed"  # a router invocation stopped at a failing record (alarm)
VERIFICATION_EMAILS = "VerificationEmails"  # ...Sent / ...Failed
NOTICES = "Notices"  # ...Sent / ...Failed, dimension kind: the notice's kind
# a webhook delivery attempt, dimension outcome: delivered, retrying, failed (no retry left), disabled (410)
WEBHOOK_ATTEMPTS = "WebhookAttempts"

_Key = tuple[str, tuple[tuple[str, str], ...]]
_counts: Counter[_Key] = Counter()


def count(name: str, **dimensions: str) -> None:
    """One more of `name` in this invocation (written when it ends, `flush`)."""
    _counts[(name, tuple(sorted(dimensions.items())))] += 1


@contextmanager
def sending(name: str, **dimensions: str) -> Iterator[None]:
    """Count an email: `{name}Sent` when the block completes, `{name}Failed` when it raises (the
    error goes on: the job is retried), e.g. `with signals.sending(signals.NOTICES, kind=kind):`."""
    try:
        yield
    except Exception:
        count(f"{name}Failed", **dimensions)
        raise
    count(f"{name}Sent", **dimensions)


def counted() -> dict[str, int]:
    """What this invocation has counted so far, as `Name` or `Name{dim=value,...}` (for the tests)."""
    return {
        name + ("{" + ",".join(f"{k}={v}" for k, v in dims) + "}" if dims else ""): n
        for (name, dims), n in _counts.items()
    }


def discard() -> None:
    """Drop what was counted and not yet written (the tests, between cases)."""
    _counts.clear()


def flush() -> None:
    """Write the invocation's counters: one EMF document per set of dimensions (plus `service`)."""
    if not _counts:
        return
    groups: dict[tuple[tuple[str, str], ...], dict[str, int]] = {}
    for (name, dims), n in _counts.items():
        groups.setdefault(dims, {})[name] = n
    _counts.clear()
    namespace = settings().metrics_namespace
    for dims, values in groups.items():
        emf = EphemeralMetrics(namespace=namespace)
        for key, value in dims:
            emf.add_dimension(name=key, value=value)
        for name, n in values.items():
            emf.add_metric(name=name, unit=MetricUnit.Count, value=n)
        emf.flush_metrics()


def observed[Handler: Callable[[Any, Any], Any]](handler: Handler) -> Handler:
    """The function's handler, traced (one subsegment, `## <name>`) and its counters flushed after it."""
    traced = tracer.capture_lambda_handler(handler, capture_response=False, capture_error=False)

    @functools.wraps(handler)
    def lambda_handler(event: Any, context: Any) -> Any:
        try:
            return traced(event, context)
        finally:
            flush()

    return lambda_handler  # type: ignore[return-value]
