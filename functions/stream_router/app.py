"""The table's stream, the outbox: committed user changes become jobs on SQS and events on the bus.

What each record calls for (its history entry, its jobs, its change event) and the order that puts
nothing twice are `rules.outbox`'s: this handler reads the record and hands it over.

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
from hellojohn.logs import logger
from hellojohn.rules import outbox
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
    when = change.approximate_creation_date_time or now()
    old, new = change.old_image or None, change.new_image or None
    at, identity = rfc3339(when) or "", record.user_identity
    read = outbox.Record(old, new, change.sequence_number or "", at, when, identity)
    outbox.carry_out(outbox.plan(read))


@signals.observed  # traced, its counters written (hellojohn.signals)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
