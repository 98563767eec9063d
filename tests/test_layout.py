"""The layout rules of the developers' guide, checked on analyzer/ as syntax: modules of at most ~300
lines, functions of at most ~60 (docstring excluded) unless their docstring gives the reason, and no
import past another package's ``__init__``. Known exceptions belong to work in flight and are listed;
a new one fails the test."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "analyzer"
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60

LONG_MODULES: set[str] = set()
DEEP_IMPORTS: set[tuple[str, str]] = set()


def _modules() -> list[tuple[str, ast.Module, int]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        out.append((path.relative_to(ROOT).as_posix(), ast.parse(text), len(text.splitlines())))
    return out


def test_modules_are_short() -> None:
    long = {rel for rel, _, lines in _modules() if lines > MAX_MODULE_LINES}
    assert long <= LONG_MODULES, sorted(long - LONG_MODULES)


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return 0 if not body else (body[-1].end_lineno or 0) - body[0].lineno + 1


def test_functions_are_short_or_say_why() -> None:
    long = []
    for rel, tree, _ in _modules():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _body_lines(node) > MAX_FUNCTION_LINES:
                if "on purpose" not in (ast.get_docstring(node) or ""):
                    long.append(f"{rel}:{node.name} ({_body_lines(node)} lines)")
    assert long == []


def test_no_import_past_another_package_init() -> None:
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    found = set()
    for rel, tree, _ in _modules():
        parts = rel.removesuffix(".py").split("/")
        own = parts[1] if len(parts) > 2 else None
        for node in ast.walk(tree):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                bits = name.split(".")
                if bits[0] == "analyzer" and len(bits) >= 3 and bits[1] in packages and bits[1] != own:
                    found.add((rel, name))
    assert found <= DEEP_IMPORTS, sorted(found - DEEP_IMPORTS)
