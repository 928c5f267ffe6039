"""SQS worker: delete the items of revoked sessions, 25 to a BatchWriteItem.

Revocation already took effect when the session left the user's `sessions` map; this only
reclaims storage (TTL would too, later).
"""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from hellojohn import config, signals
from hellojohn.logs import logger
from hellojohn.rules import outbox
from hellojohn.store import sessions

config.require()  # a configuration that cannot work fails the cold start
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    job = json.loads(record.body)
    if job.get("type") != outbox.DELETE_SESSIONS:
        logger.warning("unknown job dropped", extra={"job_type": job.get("type")})
        return
    calls = sessions.delete_sessions(job["tenant_id"], job["user_id"], list(job["session_ids"]))
    logger.info("sessions deleted", extra={"count": len(job["session_ids"]), "calls": calls})


@signals.observed  # traced, its counters written (hellojohn.signals)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
