"""The AWS services other than DynamoDB: SQS (queue), SES (mail), Secrets Manager."""
