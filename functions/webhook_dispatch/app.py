"""SQS worker: the change events an EventBridge rule on the bus queues, each fanned out to one
delivery job per enabled endpoint of the user's tenant that takes it (docs/WEBHOOKS.md)."""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from hellojohn import config, signals
from hellojohn.logs import logger
from hellojohn.rules import webhook_delivery

config.require()  # a configuration that cannot work fails the cold start
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    jobs = webhook_delivery.dispatch(json.loads(record.body))
    logger.info("webhook jobs queued", extra={"count": jobs})


@signals.observed  # traced, its counters written (hellojohn.signals)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
