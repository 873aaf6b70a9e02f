"""What a backfill run shows: a progress bar (or a log line per day) while it runs, and the
closing summary whose failures decide the exit status."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Final, TextIO

from exporter.backfill.fetch import SkipReason
from exporter.backfill.writer import Rendered, Series
from exporter.config import Scope

log = logging.getLogger(__name__)

REASON_TEXT: Final[Mapping[SkipReason, str]] = {
    "exists": "already written by an earlier run",
    "no_data": "GitHub has no report for the day (204/404)",
    "not_published": "no report yet (GitHub publishes a day within two full UTC days): "
    "run again later to fill it in",
    "team_not_found": "team not in that day's user-teams report (fewer than 5 members that "
    "day, or a wrong slug)",
    "legacy_source": "'source: legacy' scope: the legacy API cannot be backfilled; pass its "
    "archived answers with --legacy-files",
    "undated": "day object without a valid 'date'",
    "duplicate": "day object repeated (the first one was used)",
    "no_billing": "no bill of its own (404: an organization billed through its enterprise, "
    "or a wrong name)",
}
ALL_SCOPES = "all scopes"
"""The scope text of a day skipped as a whole (its file exists)."""
ALL_SPEND = "spend of all scopes"
"""The same for a day of spend (``--billing``)."""


class Progress:
    """A ``\\r`` bar on a terminal, one log line per day otherwise (files, CI logs)."""

    def __init__(
        self, total: int, stream: TextIO, *, tty: bool | None = None, width: int = 30
    ) -> None:
        self.total = total
        self.done = 0
        self._stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self._width = width
        self._started = time.monotonic()
        self._shown = False

    def advance(self, day: date, what: str) -> None:
        self.done += 1
        if self.tty:
            self.draw(f"{day} {what}")
        else:
            log.info(
                "day %s: %s",
                day,
                what,
                extra={"day": day.isoformat(), "done": self.done, "total": self.total},
            )

    def draw(self, note: str = "") -> None:
        filled = self._width * self.done // max(self.total, 1)
        rate = self.done / max(time.monotonic() - self._started, 1e-6)
        bar = "#" * filled + "." * (self._width - filled)
        self._stream.write(f"\r[{bar}] {self.done}/{self.total} days {rate:.1f}/s {note}\x1b[K")
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Wipe the bar so a log line does not land in the middle of it."""
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._shown = False

    def finish(self) -> None:
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()
            self._shown = False


class _ClearBar(logging.Filter):
    """Attached to the log handlers while the bar is up: any record wipes the bar first."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self._progress = progress

    def filter(self, record: logging.LogRecord) -> bool:
        self._progress.clear()
        return True


@contextmanager
def logs_clear_the_bar(progress: Progress) -> Iterator[None]:
    """While inside, a log line on a terminal first wipes the bar (which comes back with
    the next day)."""
    handlers = list(logging.getLogger().handlers)
    clear = _ClearBar(progress)
    if progress.tty:
        for handler in handlers:
            handler.addFilter(clear)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(clear)


def scope_text(scope: Scope) -> str:
    return f"{scope.type} {scope.name}"


def ranges(days: Iterable[date]) -> str:
    """``2026-01-01..2026-01-03, 2026-01-07`` for a set of days."""
    ordered = sorted(set(days))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] - ordered[j] == timedelta(days=1):
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}..{ordered[j]}")
        i = j + 1
    return ", ".join(parts)


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


@dataclass
class Summary:
    """What a run did, for the closing report and the exit status."""

    days: int = 0
    written: list[date] = field(default_factory=list)
    billing_days: int = 0
    billing_written: list[date] = field(default_factory=list)
    partial: list[date] = field(default_factory=list)
    scopes: set[Scope] = field(default_factory=set)
    series: set[Series] = field(default_factory=set)
    samples: int = 0
    files: int = 0
    legacy_files: int = 0
    # (scope text, reason) -> days; failures also keep their first message
    skipped: dict[tuple[str, SkipReason], list[date]] = field(default_factory=dict)
    failed: dict[tuple[str, str], list[date]] = field(default_factory=dict)
    messages: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def skip(self, scope: str, reason: SkipReason, day: date) -> None:
        self.skipped.setdefault((scope, reason), []).append(day)

    def fail(self, scope: str, reason: str, day: date, message: str) -> bool:
        """Record a failure; True the first time this scope fails for this reason."""
        first = (scope, reason) not in self.failed
        self.failed.setdefault((scope, reason), []).append(day)
        self.messages.setdefault((scope, reason), message)
        return first

    def add(self, rendered: Rendered, scopes: Iterable[Scope]) -> None:
        self.files += 1
        self.series |= rendered.series
        self.samples += rendered.samples
        self.scopes.update(scopes)

    def render(self, output: Path) -> str:
        lines = [f"backfill into {output}:"]
        if self.days:
            existing = len(self.skipped.get((ALL_SCOPES, "exists"), []))
            partial = f" ({len(self.partial)} partial)" if self.partial else ""
            lines.append(
                f"  reports: {self.days} days asked, {len(self.written)} written"
                f"{partial}, {existing} already there"
            )
        if self.billing_days:
            existing = len(self.skipped.get((ALL_SPEND, "exists"), []))
            lines.append(
                f"  spend: {self.billing_days} days asked, {len(self.billing_written)} written, "
                f"{existing} already there"
            )
        if self.legacy_files:
            lines.append(f"  legacy archives: {self.legacy_files} day files written")
        lines.append(
            f"  files: {self.files}, scopes: {len(self.scopes)}, "
            f"series: {len(self.series)}, samples: {self.samples}"
        )
        if self.skipped:
            lines.append("  skipped:")
            for (scope, reason), days in sorted(self.skipped.items()):
                lines.append(
                    f"    {scope}: {REASON_TEXT[reason]}: {_days(len(days))} ({ranges(days)})"
                )
        for scope in self._never_reported():
            lines.append(
                f"  {scope} had no report on any day asked: check the name and "
                "that the token can read its Copilot metrics"
            )
        if self.failed:
            lines.append("  failed (run again to retry these days):")
            for (scope, why), days in sorted(self.failed.items()):
                lines.append(
                    f"    {scope}: {why} on {_days(len(days))} ({ranges(days)}): "
                    f"{self.messages[(scope, why)]}"
                )
        lines.extend(f"  {note}" for note in self.notes)
        return "\n".join(lines)

    def _never_reported(self) -> list[str]:
        """Scopes GitHub answered 204/404 for on every day: a typo or missing access looks
        exactly like that, and is easy to miss among the per-day lines."""
        missing: dict[str, int] = {}
        for (scope, reason), days in self.skipped.items():
            if reason in ("no_data", "not_published"):
                missing[scope] = missing.get(scope, 0) + len(days)
        return sorted(s for s, n in missing.items() if self.days > 1 and n == self.days)
