"""Invoking a function as Lambda would: its handler, an event, a context object, in this process.

The local runner invokes in execution environments of their own (`environments`: one process per
environment, which calls `invoke` there). The tests and benchmarks call handlers in their own
process, where every function shares the layer's module state (caches, the logger, each
resolver's current event), which Lambda never shares between concurrent invocations; so `invoke`
runs one invocation at a time in a process.
"""

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from local_runner import functions
from local_runner.template import Function

_lock = threading.Lock()
ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read (the one fake
    context: the runner's invocations and the tests' both use it)."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    _deadline: float = field(default=0.0, repr=False)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    @classmethod
    def of(cls, function: Function) -> "LambdaContext":
        """A new invocation of `function`: its own request id, its timeout counted from now."""
        return cls(
            function.logical_id,
            function.memory_mb,
            function.timeout,
            _deadline=time.monotonic() + function.timeout,
        )


def function_arn(function: Function) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function.logical_id}"


def invoke(function: Function, event: dict[str, Any]) -> Any:
    """The handler's result; its exception propagates (the caller decides what Lambda would do)."""
    handler = functions.handler(function)
    with _lock:
        started = time.monotonic()
        try:
            return handler(event, LambdaContext.of(function))
        finally:
            elapsed = time.monotonic() - started
            if elapsed > function.timeout:
                print(
                    f"! {function.logical_id} ran {elapsed:.1f} s, over its {function.timeout} s timeout "
                    "(Lambda would have stopped it)",
                    flush=True,
                )
