"""The table's stream, the outbox: committed user changes become jobs on SQS and events on the bus.

Each record's change event is kept in the user's history (`rules.history`), its email and
session-cleanup jobs are queued (`adapters.jobs`), then the event is put on the EventBridge bus
(`rules.change_events`, `adapters.bus`): the one put a consumer sees comes last, so a record that
fails before it put nothing a retry would put again. The history entry is keyed by the change id,
and it records that the change's jobs were queued, so a retried record rewrites the same entry and
queues no job twice.

A stream is ordered: the batch is processed in order and stops at the first record that fails;
that record and every later one are reported as failed (`OrderedStreamProcessor`), so Lambda's
retry resumes exactly there and no later record is put twice. A batch whose first record fails
is a function error (Powertools raises), which makes Lambda bisect it until the failing record is
alone; past the retries it goes, alone, to the stream's dead-letter queue (docs/OPERATIONS.md).
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from hellojohn import config, signals
from hellojohn.adapters import bus, jobs
from hellojohn.logs import logger
from hellojohn.rules import change_events, history, purge
from hellojohn.timeutil import now, rfc3339

config.require()  # a configuration that cannot work fails the cold start


class NotTried(Exception):
    """A record after the batch's first failing one: left for the retry, which resumes there."""


class OrderedStreamProcessor(BatchProcessor):
    """Powertools' DynamoDB stream processor, stopped at the first failing record: it and every
    later record are reported as failed (as Powertools' `SqsFifoPartialProcessor` does for FIFO
    queues; Powertools has no such processor for streams)."""

    def __init__(self) -> None:
        super().__init__(event_type=EventType.DynamoDBStreams)  # raises when the whole batch failed

    def _process_record(self, record: dict[str, Any]) -> Any:
        if self.fail_messages:
            data = self._to_batch_type(record=record, event_type=self.event_type, model=self.model)
            return self.failure_handler(record=data, exception=(NotTried, NotTried(), None))
        result = super()._process_record(record)
        if result[0] == "fail":
            signals.count(signals.STREAM_RECORDS_FAILED)  # the alarm `<stack>-stream-failing`
            logger.warning(
                "stream record failed: it and the rest of the batch are retried",
                extra={
                    "sequence": record.get("dynamodb", {}).get("SequenceNumber"),
                    "error_type": type(self.exceptions[-1][1]).__name__,
                },
            )
        return result


processor = OrderedStreamProcessor()


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None:
        return
    old, new = change.old_image or None, change.new_image or None
    queued = jobs.for_change(old, new) + purge.notice_jobs(old, new)
    when = change.approximate_creation_date_time or now()
    at = rfc3339(when)
    event = (  # a user item's REMOVE is the end of its deletion: the purge (rules.purge)
        change_events.for_change(old, new, change.sequence_number or "", at or "")
        if new is not None
        else purge.purged(old, change.sequence_number or "", when, record.user_identity)
    )
    if event is None:  # no change a consumer sees: its jobs (if any) at least once, workers drop repeats
        _queue(queued)
        return
    if history.keep(event) and queued:  # False: an earlier attempt already queued them
        _queue(queued)
        history.jobs_queued(event)
    bus.publish(event.detail_type, event.detail)
    signals.count(signals.USER_CHANGES, change=event.detail_type)
    logger.info("event put", extra={"detail_type": event.detail_type, "user_id": event.detail["user_id"]})


def _queue(queued: list[jobs.Job]) -> None:
    for job in queued:
        jobs.send(job)
        logger.info("job queued", extra={"job_type": job.body["type"], "user_id": job.body["user_id"]})


@signals.observed  # traced, its counters written (hellojohn.signals)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
