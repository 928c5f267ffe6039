"""The layer's import rule, read from the source with `ast` (docs/ARCHITECTURE.md, "The shared layer").

- The top level (`config`, `errors`, `fields`, `ids`, `logs`, `models`, `records`, `signals`, `throttle`,
  `timeutil`) is pure vocabulary: it imports only the top level.
- `store/` (DynamoDB) and `adapters/` (SQS, SES, Secrets Manager) import only the top level and
  their own folder: no rule, no edge, and not each other.
- `rules/` import the top level, the store, the adapters and other rules; never the edge.
- `edge/` may import anything in the layer.
- An API handler (a `functions/*/app.py` that builds its resolver with `edge.resolver`) imports only
  the edge, the rules and the top level. A worker (SQS or stream, no HTTP edge) also imports the
  adapters and the store.
- No module reaches into another module's private names (`from x import _y`, `x._y`).
Every import counts, including those inside functions and under `TYPE_CHECKING`.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "shared" / "hellojohn"
FOLDERS = ("edge", "rules", "store", "adapters")
MAY_IMPORT = {
    "top": {"top"},
    "store": {"top", "store"},
    "adapters": {"top", "adapters"},
    "rules": {"top", "store", "adapters", "rules"},
    "edge": {"top", "store", "adapters", "rules", "edge"},
    "api handler": {"top", "rules", "edge"},
    "worker": {"top", "rules", "store", "adapters"},
}


def folder_of(module: str) -> str:
    """`hellojohn.rules.users` -> `rules`; `hellojohn.records` -> `top`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FOLDERS else "top"


def imported(tree: ast.AST) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module, names) for every import of a `hellojohn` module; `from hellojohn.rules import
    users` yields the module `hellojohn.rules.users`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "hellojohn":
                    yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "hellojohn":
            names = [alias.name for alias in node.names]
            package = LAYER.joinpath(*node.module.split(".")[1:])
            if package.is_dir():  # the names are modules
                for name in names:
                    yield node.lineno, f"{node.module}.{name}", []
            else:
                yield node.lineno, node.module, names


def layer_modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(LAYER.rglob("*.py")):
        relative = path.relative_to(LAYER.parent).with_suffix("")
        found.append((".".join(relative.parts).removesuffix(".__init__"), path))
    return found


def handlers() -> list[Path]:
    return sorted((ROOT / "functions").glob("*/app.py"))


def kind_of_handler(tree: ast.AST) -> str:
    uses_edge = any(folder_of(module) == "edge" for _, module, _ in imported(tree))
    return "api handler" if uses_edge else "worker"


def broken_rules(path: Path, kind: str) -> list[str]:
    """Each import or private-name access in the file that its kind may not make."""
    tree = ast.parse(path.read_text(), str(path))
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    refused = []
    for line, module, names in imported(tree):
        target = folder_of(module)
        if target not in MAY_IMPORT[kind]:
            refused.append(f"{where}:{line}: {kind} imports {module} ({target})")
        refused += [f"{where}:{line}: private {module}.{name}" for name in names if name.startswith("_")]
    modules = bound_modules(tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
        ):
            refused.append(f"{where}:{node.lineno}: private {node.value.id}.{node.attr}")
    return refused


def bound_modules(tree: ast.AST) -> set[str]:
    """The names bound to layer modules by `from hellojohn[.folder] import module [as name]`."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.split(".")[0] == "hellojohn"
        and LAYER.joinpath(*node.module.split(".")[1:]).is_dir()
        for alias in node.names
    }


def test_the_layer_has_the_folders_and_no_module_shadows_the_standard_library() -> None:
    import sys

    assert {p.name for p in LAYER.iterdir() if p.is_dir() and p.name != "__pycache__"} >= set(FOLDERS)
    names = {path.stem for _, path in layer_modules()}
    assert not names & set(sys.stdlib_module_names) - {"__init__"}


@pytest.mark.parametrize("module,path", layer_modules(), ids=[m for m, _ in layer_modules()])
def test_layer_module_imports_only_what_its_folder_may(module: str, path: Path) -> None:
    assert broken_rules(path, folder_of(module)) == []


@pytest.mark.parametrize("path", handlers(), ids=[p.parent.name for p in handlers()])
def test_handler_imports_only_what_its_kind_may(path: Path) -> None:
    kind = kind_of_handler(ast.parse(path.read_text()))
    assert broken_rules(path, kind) == []


def test_the_checker_refuses_each_kind_of_breach(tmp_path: Path) -> None:
    """The checker itself: a store module importing a rule, the edge or an adapter, and reaching
    into private names, is refused each time; the edge may import all three."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from hellojohn.rules import users\nfrom hellojohn.edge.resolver import entry\nusers._x\n"
        "def f():\n    from hellojohn.adapters.jobs import _private\n"
    )
    refused = broken_rules(bad, "store")
    assert len(refused) == 5, refused  # rules, edge, adapters, and two private names
    assert broken_rules(bad, "edge") == [r for r in refused if "private" in r]
