"""local_runner/ttl.py: the stream records of TTL deletions, as DynamoDB's TTL service makes them."""

from typing import Any

from local_runner import ttl


def _record(event: str, **images: Any) -> Any:
    keys = {"PK": {"S": "TNT#t#USR#u"}, "SK": {"S": "USER"}}
    return {"eventID": "1", "eventName": event, "dynamodb": {"Keys": keys, "SequenceNumber": "7", **images}}


def test_dynamodb_locals_own_ttl_record_becomes_the_services_remove() -> None:
    old = {"PK": {"S": "TNT#t#USR#u"}}
    got = ttl.as_service(_record("UNKNOWN_TO_SDK_VERSION", OldImage=old))
    assert got["eventName"] == "REMOVE" and got["userIdentity"] == ttl.SERVICE
    assert got["dynamodb"]["OldImage"] == old


def test_other_records_are_left_as_they_are() -> None:
    for record in (
        _record("REMOVE", OldImage={}),  # a REMOVE the sweep did not make: a request's own delete
        _record("MODIFY", OldImage={}, NewImage={}),
        _record("INSERT", NewImage={}),
    ):
        assert ttl.as_service(record) is record
