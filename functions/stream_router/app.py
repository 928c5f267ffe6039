"""The table's stream to SQS: committed user changes become email and session-cleanup jobs.

A record whose job cannot be queued is reported as a batch item failure, so Lambda retries the
stream from it (and, past the retry limit, sends it to the stream's dead-letter queue).
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from hellojohn import config
from hellojohn.adapters import jobs
from hellojohn.logs import logger

config.require()  # a configuration that cannot work fails the cold start
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None:
        return
    for job in jobs.for_change(change.old_image or None, change.new_image or None):
        jobs.send(job)
        logger.info("job queued", extra={"job_type": job.body["type"], "user_id": job.body["user_id"]})


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
