"""Secrets never leave the process: every log line and the message file pass through ``redact``.

Masked: credentials in URLs (``https://user:password@host``), AWS access key ids, secret-looking
40-character keys, values of secret-looking headers and ``KEY=value`` assignments (what a ``.env``
file or botocore's debug log holds), and the values of the AWS credential environment variables.
"""
from __future__ import annotations

import logging
import os
import re

MASK = "***"
SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ACCESS_KEY_ID")

_PATTERNS = (
    # scheme://user:password@host -> scheme://***@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,30}://)[^/\s@'\"<>]{1,256}@"), r"\1" + MASK + "@"),
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ABIA|ACCA)[A-Z0-9]{16}\b"), MASK),
    # header values: Authorization, X-Amz-Security-Token, X-Api-Key, Cookie ...
    (re.compile(r"(?i)((?:x-amz-security-token|authorization|x-api-key|api-key|cookie|set-cookie|"
                r"x-amzn-sagemaker-custom-attributes)['\"]?\s*[:=]\s*b?['\"]?)[^'\"\r\n]+"), r"\1" + MASK),
    # NAME=value / "name": "value" where the name says secret
    (re.compile(r"(?i)((?:secret|token|passw(?:or)?d|pwd|api_?key|access_?key|credential|private_?key|"
                r"custom_attributes)[\w.-]{0,64}['\"]?\s{0,8}[:=]\s{0,8}['\"]?)[^\s'\",}&]+"), r"\1" + MASK),
    (re.compile(r"Signature=[0-9a-f]{16,}"), "Signature=" + MASK),
    # an AWS-secret-like token: 40 base64 characters with upper, lower and digits
    (re.compile(r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[0-9])"
                r"[A-Za-z0-9][A-Za-z0-9/+]{38}[A-Za-z0-9](?![A-Za-z0-9/+=])"), MASK),
)


#: Longer texts are cut first: no log line or message needs more, and the patterns stay fast.
MAX_CHARS = 100_000


def redact(text: str) -> str:
    """``text`` with every recognisable secret replaced by ``***`` (cut to MAX_CHARS first)."""
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS] + f"... ({len(text) - MAX_CHARS} more characters not shown)"
    for name in SECRET_ENV:
        value = os.environ.get(name)
        if value and len(value) >= 8:
            text = text.replace(value, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A handler filter: the formatted message (and traceback) of every record, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not hide the record
            text = str(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.msg, record.args = redact(text), None
        return True
