"""Checks on a finished analysis: threshold rules (CI gates) and Model Monitor's drift checks.

Public API: :class:`CheckOptions`, :func:`parse_check_options`, :func:`prepare_checks`,
:func:`run_checks`, :class:`CheckResult` (see :mod:`analyzer.monitor.checks`).
"""
from analyzer.monitor.checks import (
    VIOLATIONS_EXIT_CODE,
    VIOLATIONS_FILE,
    CheckOptions,
    CheckResult,
    log_result,
    parse_check_options,
    prepare_checks,
    run_checks,
)
from analyzer.monitor.execution import find_monitor_execution
from analyzer.monitor.rules import Rule, parse_rule
from analyzer.monitor.violations import FAIL, NOT_CHECKED, PASS, Outcome, Violation

__all__ = [
    "FAIL",
    "NOT_CHECKED",
    "PASS",
    "VIOLATIONS_EXIT_CODE",
    "VIOLATIONS_FILE",
    "find_monitor_execution",
    "CheckOptions",
    "CheckResult",
    "Outcome",
    "Rule",
    "Violation",
    "log_result",
    "parse_check_options",
    "parse_rule",
    "prepare_checks",
    "run_checks",
]
