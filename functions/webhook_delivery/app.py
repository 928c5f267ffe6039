"""SQS worker: webhook delivery jobs, one attempt each (docs/WEBHOOKS.md).

The batch's jobs are attempted at once, each on a thread of its own: a slow or dead endpoint
(up to its 10 s timeout) holds no other endpoint's attempt, and each job is one endpoint's. A job
that raised (DynamoDB, KMS or SQS down: not the endpoint's answer, which is logged and retried on
the schedule) is reported and comes back after the visibility timeout; after 5 receives it goes
to WebhookDeliveryDeadLetterQueue (alarmed).
"""

import contextvars
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hellojohn import config, signals
from hellojohn.logs import logger
from hellojohn.rules import webhook_delivery

config.require()  # a configuration that cannot work fails the cold start
_pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="webhook")


@signals.observed  # traced, its counters written (hellojohn.signals)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records") or []
    # each thread in a copy of this invocation's context (its logger keys, and what runs it)
    futures = [
        (
            r["messageId"],
            _pool.submit(contextvars.copy_context().run, webhook_delivery.deliver, json.loads(r["body"])),
        )
        for r in records
    ]
    failures = []
    for message_id, future in futures:
        try:
            outcome = future.result().outcome
        except Exception:  # noqa: BLE001 - any failure of the job's own calls: reported, retried by SQS
            logger.exception("webhook job failed")
            failures.append({"itemIdentifier": message_id})
            continue
        if outcome:
            signals.count(signals.WEBHOOK_ATTEMPTS, outcome=outcome)
    return {"batchItemFailures": failures}
