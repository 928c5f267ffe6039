"""Load each function's handler from its CodeUri folder, as Lambda would (each its own module),
then run the SnapStart hooks its import registered, as Lambda does for a published version:
before-snapshot once the module is imported, after-restore before its first request."""

import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from local_runner.template import Function

Handler = Callable[[dict[str, Any], Any], Any]
_loaded: dict[str, Handler] = {}
_modules: dict[str, ModuleType] = {}


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
        from hellojohn import snapstart

        before, after = snapstart.registered()
        spec.loader.exec_module(module)
        snapstart.run_before_snapshot(since=before)
        snapstart.run_after_restore(since=after)
        _modules[function.logical_id] = module
        _loaded[function.logical_id] = getattr(module, attr)
    return _loaded[function.logical_id]
