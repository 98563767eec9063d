"""The monitoring period: a ``[start, end)`` window on ``eventMetadata.inferenceTime``.

Model Monitor passes ``start_time`` / ``end_time`` as ISO 8601 instants and warns that the data it
downloads may cover more than that period, so every event is checked. Capture files sit under
``.../yyyy/mm/dd/hh/`` folders (the hour the event was written); files whose hour lies wholly
outside the window are skipped without being read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import PurePath

from analyzer.errors import ConfigError

_HOUR_PATH = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})/(\d{2})/[^/]*$")


def parse_instant(text: str, key: str) -> datetime:
    """An ISO 8601 time (``2024-01-19T05:31:46Z``, with or without zone/fraction) as an aware UTC datetime.

    Model Monitor's docs show ``2019-12-01T16: 20: 00Z`` (spaces after the colons): spaces are ignored.
    """
    cleaned = text.strip().replace(" ", "")
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ConfigError(f"{key}: '{text}' is not an ISO 8601 time such as 2024-01-19T05:00:00Z.") from None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def event_time(text: str) -> datetime | None:
    """An event's ``inferenceTime``; None when it cannot be read (the caller names the line)."""
    try:
        return parse_instant(text, "inferenceTime")
    except ConfigError:
        return None


@dataclass(frozen=True)
class TimeWindow:
    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def parse(cls, start: str | None, end: str | None, what: str = "--start-time/--end-time") -> "TimeWindow":
        window = cls(parse_instant(start, what.split("/")[0]) if start else None,
                     parse_instant(end, what.split("/")[-1]) if end else None)
        if window.start and window.end and window.start >= window.end:
            raise ConfigError(f"{what}: the start ({start}) must be before the end ({end}).")
        return window

    @property
    def unbounded(self) -> bool:
        return self.start is None and self.end is None

    def contains(self, when: datetime) -> bool:
        return (self.start is None or when >= self.start) and (self.end is None or when < self.end)

    def may_hold_file(self, path: PurePath | str) -> bool:
        """False only for a file in a ``yyyy/mm/dd/hh`` folder whose whole hour is outside the window."""
        if self.unbounded:
            return True
        found = _HOUR_PATH.search(str(path).replace("\\", "/"))
        if not found:
            return True
        try:
            year, month, day, hour_of_day = (int(g) for g in found.groups())
            hour = datetime(year, month, day, hour_of_day, tzinfo=timezone.utc)
        except ValueError:
            return True
        # Capture writes an event into the folder of the hour it was written, which can be a little
        # after its inferenceTime: allow one hour of slack on the left.
        return (self.end is None or hour - timedelta(hours=1) < self.end) and (
            self.start is None or hour + timedelta(hours=1) > self.start)

    def describe(self) -> str:
        if self.unbounded:
            return "all times"
        start = self.start.isoformat() if self.start else "the beginning"
        end = self.end.isoformat() if self.end else "now"
        return f"{start} to {end}"
