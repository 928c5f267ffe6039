"""Each call a function makes, evaluated against that function's role as it is made.

A call the role would refuse is answered as AWS would answer it (an AccessDenied error, nothing
sent to moto) and recorded, so the test fails even where the code swallows the error. Every grant a
call relies on is recorded as used, for the suite-wide least-privilege check (tests/iam/plugin.py).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

from tests.awscalls import Call, counting
from tests.iam.policy import evaluate
from tests.iam.requests import Request, Unmapped, requests_of
from tests.iam.roles import ACCOUNT, Grant, roles

_DENIED_CODE = {"sqs": "AccessDenied", "ses": "AccessDenied"}  # others: AccessDeniedException


@dataclass(frozen=True)
class Refusal:
    function: str
    call: str
    request: Request | None
    reason: str

    def __str__(self) -> str:
        return f"{self.request or self.call}: {self.reason}"


@dataclass
class Watch:
    refused: list[Refusal] = field(default_factory=list)
    used: set[Grant] = field(default_factory=set)
    exercised: set[tuple[str, str, str, str]] = field(
        default_factory=set
    )  # function, action, resource, key kind

    def check(self, call: Call) -> list[Refusal]:
        """Evaluate the call; record what it used; the refusals (empty when allowed)."""
        function = call.function
        assert function is not None
        policies = roles()[function]
        try:
            requests = requests_of(call)
        except Unmapped as exc:
            return [Refusal(function, f"{call.service}.{call.operation}", None, f"no IAM mapping: {exc}")]
        refusals = []
        for request in requests:
            decision = evaluate(
                [(p.name, p.document) for p in policies],
                request.action,
                request.resource,
                request.context_dict,
            )
            if not decision.allowed:
                refusals.append(
                    Refusal(function, call.operation, request, "no statement of its role allows it")
                )
                continue
            for kind in request.leading_keys or ("",):
                self.exercised.add((function, request.action, request.resource, key_kind(kind)))
            ours = {p.name: p for p in policies if p.ours}
            for match in decision.matches:
                if match.policy not in ours:
                    continue
                owner = ours[match.policy].owner(function)
                for action in match.actions:
                    for resource in match.resources:
                        for pattern in match.key_patterns or (None,):
                            self.used.add(
                                Grant(owner, match.policy, match.statement, action, resource, pattern)
                            )
        return refusals

    def __call__(self, call: Call) -> tuple[Any, dict[str, Any]] | None:
        if call.function is None:  # the test's own set-up and assertions: not a function's role
            return None
        refusals = self.check(call)
        if not refusals:
            return None
        self.refused += refusals
        return _access_denied(call, refusals[0])


_KINDS = frozenset({"TNT", "USR", "EMAIL", "KEY", "VFY", "IDEM", "USERS"})


def key_kind(partition_key: str) -> str:
    """The item kind of a partition key, its ids starred: "TNT#t#USR#u" -> "TNT#*#USR#*"."""
    return "#".join(p if p in _KINDS else "*" for p in partition_key.split("#")) if partition_key else ""


def _access_denied(call: Call, refusal: Refusal) -> tuple[AWSResponse, dict[str, Any]]:
    code = _DENIED_CODE.get(call.service, "AccessDeniedException")
    role = f"arn:aws:sts::{ACCOUNT}:assumed-role/{refusal.function}Role/{refusal.function}"
    message = f"User: {role} is not authorized to perform: {refusal}"  # AWS's wording, and what was asked
    parsed = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
    return AWSResponse("https://iam.check.local", 400, HTTPHeaders(), None), parsed


@contextmanager
def watching() -> Iterator[Watch]:
    """Check every call made in the block by a function's code."""
    watch = Watch()
    with counting(on_call=watch, strict=False):
        yield watch
