"""Load each function's handler from its CodeUri folder, as Lambda would (each its own module),
then run the SnapStart hooks its import registered, as Lambda does for a published version:
before-snapshot once the module is imported, after-restore before its first request.

`handler(function)` is the one place a function runs in this process (the runner, the tests and
the benchmarks all invoke through it), so it is also where `running()` is set: the logical id of
the function whose code is executing, for the whole import (cold start) and every invocation.
The tests read it to check each AWS call against that function's own IAM role (tests/iam/).
"""

import contextvars
import functools
import importlib.util
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from local_runner.template import Function

Handler = Callable[[dict[str, Any], Any], Any]
_loaded: dict[str, Handler] = {}
_modules: dict[str, ModuleType] = {}
_running: contextvars.ContextVar[str | None] = contextvars.ContextVar("hellojohn_running", default=None)


def running() -> str | None:
    """The logical id of the function whose code is running now, None outside any function."""
    return _running.get()


@contextmanager
def _as(logical_id: str) -> Iterator[None]:
    token = _running.set(logical_id)
    try:
        yield
    finally:
        _running.reset(token)


def module(function: Function) -> ModuleType:
    """The function's handler module (loaded once)."""
    handler(function)
    return _modules[function.logical_id]


def handler(function: Function) -> Handler:
    if function.logical_id not in _loaded:
        module_file, attr = function.handler.rsplit(".", 1)
        path = function.code_dir / f"{module_file}.py"
        name = f"hellojohn_fn_{function.logical_id}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        from hellojohn.edge import snapstart

        before, after = snapstart.registered()
        with _as(function.logical_id):
            spec.loader.exec_module(module)
        snapstart.run_before_snapshot(since=before)
        snapstart.run_after_restore(since=after)
        _modules[function.logical_id] = module
        _loaded[function.logical_id] = _marked(function.logical_id, getattr(module, attr))
    return _loaded[function.logical_id]


def _marked(logical_id: str, entry: Handler) -> Handler:
    @functools.wraps(entry)
    def invoke(event: dict[str, Any], context: Any) -> Any:
        with _as(logical_id):
            return entry(event, context)

    return invoke
