"""Errors that reach the user: one base class with a message and an exit code.

Only the CLI catches these. It logs the message, writes it to the failure message file
(`/opt/ml/output/message`) and exits with ``exit_code``. Messages say what went wrong,
where (key, column, URI, line), what was expected and how to fix it.
"""
from __future__ import annotations


class AnalyzerError(Exception):
    """Base class for every error that is the user's to fix (or the environment's)."""

    exit_code = 1
    kind = "ClientError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(AnalyzerError):
    """The analysis configuration is not valid JSON, breaks the schema or is inconsistent."""

    exit_code = 2


class DataError(AnalyzerError):
    """The dataset cannot be read, or its content does not fit the configuration."""

    exit_code = 3


class EndpointError(AnalyzerError):
    """The model endpoint or container could not be created, reached, or gave bad output."""

    exit_code = 4


class StorageError(AnalyzerError):
    """An input or output location (local path or S3 URI) cannot be read or written."""

    exit_code = 5


class AnalysisError(AnalyzerError):
    """An analysis cannot be computed on this data (e.g. no positive predicted labels)."""

    exit_code = 6


class Interrupted(BaseException):
    """The job received SIGTERM or SIGINT and stopped.

    A ``BaseException``, like ``KeyboardInterrupt``: raised asynchronously by the signal handler,
    it can land anywhere, and library code that catches ``Exception`` must not swallow it (logging's
    ``emit`` prints a traceback and goes on; ``Thread.start``'s cleanup corrupts the new thread's
    bookkeeping; a fallback import hides it). Same interface as ``AnalyzerError`` for the CLI."""

    exit_code = 143
    kind = "Stopped"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


#: Exit code for unexpected internal errors (bugs); the message file is still written.
INTERNAL_ERROR_EXIT_CODE = 70
