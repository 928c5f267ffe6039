"""SQS worker: the verification email of a pending email change, and the security notices
(`rules.notices`: an email change asked for, an email changed, a password changed), through SES.

A failed send is a batch item failure: SQS redelivers the job (a fresh token supersedes any
earlier one) and, past maxReceiveCount, moves it to the dead-letter queue. A sent email is
recorded (on the user; a notice's by a marker item), so a job delivered twice sends one email.
"""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from hellojohn import config, signals
from hellojohn.adapters import mail
from hellojohn.logs import logger
from hellojohn.rules import notices, outbox, tenancy, verification

config.require()  # a configuration that cannot work fails the cold start
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    job = json.loads(record.body)
    if job.get("type") == outbox.NOTICE:
        outcome = notices.deliver(job)
        logger.info("notice", extra={"kind": job.get("kind"), "outcome": outcome, "user_id": job["user_id"]})
        return
    if job.get("type") != outbox.VERIFY_EMAIL:
        logger.warning("unknown job dropped", extra={"job_type": job.get("type")})
        return
    tenant = tenancy.tenant(job["tenant_id"])
    issued = verification.issue(job["tenant_id"], job["user_id"], job["change_id"]) if tenant else None
    if tenant is None or issued is None:
        logger.info("verification superseded or user gone", extra={"user_id": job["user_id"]})
        return
    subject, text, body = mail.verification_email(tenant, issued.to, issued.token, issued.expires_at)
    with signals.sending(signals.VERIFICATION_EMAILS):
        mail.send(tenant, issued.to, subject, text, body)
    verification.mark_sent(job["tenant_id"], job["user_id"], job["change_id"])
    logger.info("verification email sent", extra={"user_id": job["user_id"]})


@signals.observed  # traced, its counters written (hellojohn.signals)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
