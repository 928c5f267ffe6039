"""The one Powertools Logger of the service (structured JSON; the request id is the correlation id)."""

from aws_lambda_powertools import Logger

logger = Logger(service="hellojohn-users")
