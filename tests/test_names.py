"""One source for every name: metric codes, content types and defaults are declared once, and the
places that must list them (schema, registry, config, report readings) list the same ones.

The source scan reads analyzer/ as syntax: a string constant (or an f-string such as f"label{i}")
equal to a declared name, outside the module that declares it, is a second declaration.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

import analyzer.bias  # noqa: F401 - registers every metric
from analyzer.bias import registry
from analyzer.config import (
    DEFAULT_REPORT_NAME,
    DEFAULT_REPORT_TITLE,
    POST_TRAINING_METRICS,
    PRE_TRAINING_METRICS,
    PREDICTOR_SOURCES,
)
from analyzer.formats import CAPTURE_JSON, CSV, FORMATS, IMAGE, JSON, JSONLINES, PARQUET
from analyzer.report.readings import READINGS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "analyzer"
SCHEMA = json.loads((ROOT / "config_schema" / "analysis_config.schema.json").read_text())
CONTENT_TYPES = (CSV, JSONLINES, JSON, PARQUET, IMAGE, CAPTURE_JSON)

# Second declarations that are known and owned by another change in flight (the report rework):
# remove an entry when its module uses the one source. A new duplicate fails the test.
KNOWN = {
    ("analyzer/report/readings.py", "Infinity"),      # a glossary term, not the rule
}


def _alternatives(pattern: str) -> set[str]:
    """The names a ``(?i)^(a|b|c)$`` schema pattern accepts."""
    match = re.fullmatch(r"\(\?i\)\^\((.*)\)\$", pattern)
    assert match, pattern
    return set(match.group(1).split("|"))


def _schema_metric_names(stage: str) -> set[str]:
    methods = SCHEMA["properties"]["methods"]["properties"][stage]["properties"]["methods"]
    return _alternatives(methods["items"]["pattern"])


def _strings(path: Path) -> list[str]:
    """Every string constant in a module, docstrings excepted; an f-string as its text with {} holes."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    found, inside_fstrings = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                inside_fstrings.add(id(value))
                parts.append(value.value if isinstance(value, ast.Constant) else "{}")
            found.append("".join(str(p) for p in parts))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                and id(node) not in inside_fstrings):
            found.append(node.value)
    return found


def _declared_elsewhere(names: dict[str, str]) -> list[tuple[str, str]]:
    """(module, name) for each occurrence of a name outside its home module (``names``: name → home)."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for text in _strings(path):
            home = names.get(text)
            if home is not None and home != rel and (rel, text) not in KNOWN:
                out.append((rel, text))
    return out


@pytest.mark.parametrize("stage, config_names", [("pre_training", PRE_TRAINING_METRICS),
                                                 ("post_training", POST_TRAINING_METRICS)])
def test_metric_codes_are_the_same_everywhere(stage: str, config_names: tuple[str, ...]) -> None:
    implemented = registry.names(stage)
    assert list(config_names) == implemented                    # config = registry (sorted: Clarify's order)
    assert _schema_metric_names(f"{stage}_bias") == set(implemented)   # schema = registry
    assert set(implemented) <= set(READINGS)                     # every metric has a plain-language reading


def test_readings_name_only_real_metrics() -> None:
    assert set(READINGS) == set(PRE_TRAINING_METRICS) | set(POST_TRAINING_METRICS)


def test_content_types_schema_and_table_agree() -> None:
    accepted = _alternatives(SCHEMA["properties"]["dataset_type"]["pattern"])
    assert accepted == set(CONTENT_TYPES)
    assert set(FORMATS) <= accepted


def test_no_name_is_declared_twice() -> None:
    names = {t: "analyzer/formats/__init__.py" for t in CONTENT_TYPES}
    names.update({"label{}": "analyzer/formats/responses.py",
                  "Infinity": "analyzer/output.py", "-Infinity": "analyzer/output.py",
                  DEFAULT_REPORT_TITLE: "analyzer/config/model.py"})
    assert _declared_elsewhere(names) == []


def _string_tuples(path: Path) -> list[frozenset[str]]:
    """The set of names in every tuple/list/set literal made only of string constants."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(node.elts) > 1 and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            out.append(frozenset(e.value for e in node.elts))  # type: ignore[attr-defined]
    return out


def test_name_lists_are_declared_once() -> None:
    """The predictor source keys and the metric code lists are written out in config/model.py only."""
    lists = {frozenset(PREDICTOR_SOURCES), frozenset(PRE_TRAINING_METRICS), frozenset(POST_TRAINING_METRICS)}
    copies = [path.relative_to(ROOT).as_posix() for path in sorted(PACKAGE.rglob("*.py"))
              for found in _string_tuples(path) if found in lists]
    assert copies == ["analyzer/config/model.py"] * 3


def test_defaults_have_one_home() -> None:
    from analyzer.config import ReportConfig
    from analyzer.report import DEFAULT_NAME, DEFAULT_TITLE

    assert (ReportConfig().name, ReportConfig().title) == (DEFAULT_REPORT_NAME, DEFAULT_REPORT_TITLE)
    assert (DEFAULT_NAME, DEFAULT_TITLE) == (DEFAULT_REPORT_NAME, DEFAULT_REPORT_TITLE)


def test_the_scan_finds_a_second_declaration(tmp_path: Path) -> None:
    """The scanner is not blind: a copied content type and a copied label default are found."""
    module = tmp_path / "copy.py"
    module.write_text('"""text/csv in a docstring is fine."""\nKIND = "text/csv"\n'
                      'NAMES = [f"label{i}" for i in range(3)]\n')
    assert {"text/csv", "label{}"} <= set(_strings(module))
    assert "text/csv in a docstring is fine." not in _strings(module)
    module.write_text('SOURCES = ("model_name", "endpoint_name", "image_uri", "endpoint_url", "in_process")\n')
    assert frozenset(PREDICTOR_SOURCES) in _string_tuples(module)
