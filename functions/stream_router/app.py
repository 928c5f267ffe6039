"""The table's stream, the outbox: committed user changes become jobs on SQS and events on the bus.

Each record's email and session-cleanup jobs are queued (`adapters.jobs`), its change event is kept
in the user's history (`rules.history`), then put on the EventBridge bus (`rules.change_events`,
`adapters.bus`). A record whose job or event
cannot be sent is reported as a batch item failure, so Lambda retries the stream from it (and,
past the retry limit, sends it to the stream's dead-letter queue). A retried record queues its
jobs again, which the workers drop as duplicates; its event was not put, so it is put once.
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from hellojohn import config, signals
from hellojohn.adapters import bus, jobs
from hellojohn.logs import logger
from hellojohn.rules import change_events, history
from hellojohn.timeutil import now, rfc3339

config.require()  # a configuration that cannot work fails the cold start
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None:
        return
    old, new = change.old_image or None, change.new_image or None
    for job in jobs.for_change(old, new):
        jobs.send(job)
        logger.info("job queued", extra={"job_type": job.body["type"], "user_id": job.body["user_id"]})
    at = rfc3339(change.approximate_creation_date_time or now())
    event = change_events.for_change(old, new, change.sequence_number or "", at or "")
    if event is not None:
        history.keep(event)  # first: rewriting it on a retry is harmless, putting the event twice is not
        bus.publish(event.detail_type, event.detail)
        signals.count(signals.USER_CHANGES, change=event.detail_type)
        logger.info("event put", extra={"detail_type": event.detail_type, "user_id": event.detail["user_id"]})


@signals.observed  # traced, its counters written (hellojohn.signals)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
