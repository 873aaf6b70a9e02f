"""``copilot-exporter backfill``: past report days as timestamped OpenMetrics files for promtool.

The live exporter only ever shows the newest complete day, so Prometheus holds history only
from the day it started scraping. This command fetches the 1-day reports of each past day
(the same ``ReportsSource`` as the live exporter) or reads archived legacy ``/copilot/metrics``
answers, renders each day through the live ``SnapshotCollector`` and writes one OpenMetrics
file per day with one timestamped sample per series. With the ``job``/``instance`` labels of
the scrape config added, ``promtool tsdb create-blocks-from openmetrics`` turns the files into
blocks whose series are the very series the live scrape writes, so dashboards draw the past
and the present as one line. See docs/backfill.md for the whole path.

Example day file (``2026-03-01.om``)::

    # HELP github_copilot_daily_active_users Users active on the report day. ...
    # TYPE github_copilot_daily_active_users gauge
    github_copilot_daily_active_users{instance="exporter:9185",job="copilot",\
scope="octo",scope_type="organization"} 42.0 1772409601
    # EOF
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import re
import sys
import time
from calendar import timegm
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from exporter import cardinality, files
from exporter import metrics as m
from exporter.aggregate import Values
from exporter.app import make_client
from exporter.collector import SnapshotCollector
from exporter.config import Cardinality, Config, ConfigError, Scope, ScopeType, load
from exporter.github import ApiStats
from exporter.legacy import day_values
from exporter.reports import ReportsSource
from exporter.snapshot import ScopeState, Snapshot
from exporter.source import ScopeResult, utc_now

log = logging.getLogger(__name__)

SAMPLE_OFFSET_SECONDS = 1
"""Day D's samples are stamped 00:00:01 UTC of D+1 (see :func:`sample_timestamp`)."""

LANDING_DAYS = 2
"""GitHub publishes a day "within two full UTC days": a missing day this recent may still come."""

DAYS_IN_FLIGHT = 4
"""Days fetched at once; the client's own ``concurrency`` still bounds the requests."""

DAY_FILE_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*.om"
REQUIRED_LABELS = ("job", "instance")

# Only what describes the report day is backfilled: refresh times, durations and failure
# reasons describe the moment a live refresh ran, which a backfill run is not.
_STATUS_KEPT = frozenset({m.PREFIX + "up", m.PREFIX + "report_day_timestamp_seconds"})
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9_-]")

# Reasons a scope has nothing for a day that are final: the day is complete without it.
_PERMANENT_SKIPS = frozenset({"no_data", "team_not_found"})
_REASON_TEXT = {
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
}


class UsageError(Exception):
    """A bad flag value or input file; the message names the fix."""


# --- timestamps ---------------------------------------------------------------------------


def day_start(day: date) -> int:
    """00:00:00 UTC of ``day`` as Unix seconds."""
    return timegm(day.timetuple())


def sample_timestamp(day: date) -> int:
    """When day ``day``'s samples are stamped: 00:00:01 UTC of the next day.

    The live exporter shows day D from the moment D's report lands (at the earliest when D
    is over, usually during D+1) until D+1's lands (D+2 at the earliest). Dashboards read
    ``last_over_time(x[1d])`` at 1d steps, which Grafana rounds to 00:00 UTC: at the step
    D+2 00:00 the window [D+1 00:00, D+2 00:00] ends with the live samples of day D. A
    sample of D stamped one second into D+1 falls in that window and in no other
    00:00-aligned one, so each step shows the day the live exporter would have shown.
    Not 00:00:00: Prometheus 2 ranges include both ends, so it would also be the last
    sample of the window ending at D+1 00:00, a day early. Not the end of D+1: yesterday's
    sample would lie in the future, and a block reaching past "now" makes Prometheus reject
    every scraped sample older than the block's end as out of bounds (checked with 2.42).
    A query whose last step is "now" gets the backfilled days up to the step before and the
    live value at the last one, with no day left out between them.
    """
    return day_start(day + timedelta(days=1)) + SAMPLE_OFFSET_SECONDS


# --- flags --------------------------------------------------------------------------------


def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` (argparse type)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a day as YYYY-MM-DD") from None


def parse_label(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` (argparse type); names that Prometheus or the exporter own are refused."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=VALUE, e.g. --label job=copilot")
    if not _LABEL_NAME.match(name):
        raise argparse.ArgumentTypeError(
            f"{text!r}: {name!r} is not a label name (letters, digits and _, not starting "
            "with a digit)"
        )
    if name.startswith("__"):
        raise argparse.ArgumentTypeError(
            f"{text!r}: names starting with __ are reserved for Prometheus"
        )
    if name in _exporter_label_names():
        raise argparse.ArgumentTypeError(
            f"{text!r}: {name!r} is set by the exporter itself; give only the labels your "
            "scrape config adds (job, instance, ...)"
        )
    if value == "":
        raise argparse.ArgumentTypeError(
            f"{text!r}: an empty value means no label in Prometheus; give a value"
        )
    return name, value


def _exporter_label_names() -> frozenset[str]:
    return frozenset(label for spec in m.all_specs() for label in spec.all_labels)


def check_labels(pairs: Sequence[tuple[str, str]] | None) -> dict[str, str]:
    """The target labels as a mapping: each once, ``job`` and ``instance`` present.

    Without them the blocks would hold series that differ from the scraped ones by their
    labels, and every dashboard would draw two lines.
    """
    labels: dict[str, str] = {}
    for name, value in pairs or ():
        if name in labels and labels[name] != value:
            raise UsageError(f"--label {name} given twice ({labels[name]!r} and {value!r})")
        labels[name] = value
    missing = [name for name in REQUIRED_LABELS if name not in labels]
    if missing:
        raise UsageError(
            "missing " + " and ".join(f"--label {n}=..." for n in missing) + ": give the job "
            "name and target address Prometheus scrapes the exporter with (see its /targets "
            "page), so backfilled and live series are the same series"
        )
    return labels


@dataclass(frozen=True)
class LegacyInput:
    """One archived legacy answer: a JSON file of day objects for one scope."""

    scope: Scope
    path: Path


_SCOPE_KINDS: Mapping[str, tuple[ScopeType, ScopeType]] = {
    "org": ("organization", "team"),
    "enterprise": ("enterprise", "enterprise_team"),
}


def parse_scope(text: str) -> Scope:
    """``org:ORG``, ``org:ORG/TEAM``, ``enterprise:ENT`` or ``enterprise:ENT/TEAM`` (the
    ``COPILOT_EXPORTER_SCOPES`` syntax) as a legacy-source scope."""
    kind, sep, rest = text.strip().partition(":")
    owner, _, team = rest.partition("/")
    if not sep or kind not in _SCOPE_KINDS or not owner:
        raise ValueError(
            f"{text!r}: expected org:ORG, org:ORG/TEAM, enterprise:ENT or enterprise:ENT/TEAM"
        )
    if team == "*" or "/" in team:
        raise ValueError(f"{text!r}: name one team per file (the legacy answers were per team)")
    entity_type, team_type = _SCOPE_KINDS[kind]
    if team:
        return Scope(team_type, owner, team, "legacy")
    return Scope(entity_type, owner, None, "legacy")


def parse_legacy_input(text: str) -> LegacyInput:
    """``SCOPE=FILE`` (argparse type), e.g. ``org:octo=octo-2025.json``."""
    scope_text, sep, path = text.partition("=")
    if not sep or not path:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected SCOPE=FILE, e.g. org:octo=octo-2025.json or "
            "org:octo/web=octo-web.json"
        )
    try:
        scope = parse_scope(scope_text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return LegacyInput(scope, Path(path))


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``backfill`` subcommand.

    The flags it shares with the main command default to SUPPRESS, so that
    ``copilot-exporter --config.file F backfill ...`` keeps the value given before the
    subcommand instead of argparse resetting it to the subcommand's default.
    """
    parser = subparsers.add_parser(
        "backfill",
        help="write past days as OpenMetrics files for promtool",
        description="Fetch the 1-day reports of past days (or read archived legacy "
        "/copilot/metrics answers) and write one OpenMetrics file per day with "
        "timestamped samples, for `promtool tsdb create-blocks-from openmetrics`. "
        "Days already written are skipped, so an interrupted run resumes. "
        "See docs/backfill.md.",
    )
    parser.add_argument(
        "--config.file",
        dest="config_file",
        type=Path,
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="YAML config file (env COPILOT_EXPORTER_CONFIG); its scopes with "
        "source reports are fetched",
    )
    parser.add_argument(
        "--log.level",
        dest="log_level",
        default=argparse.SUPPRESS,
        choices=["debug", "info", "warn", "error"],
    )
    parser.add_argument(
        "--log.format", dest="log_format", default=argparse.SUPPRESS, choices=["logfmt", "json"]
    )
    parser.add_argument(
        "--from",
        dest="start",
        type=parse_day,
        metavar="YYYY-MM-DD",
        help="first day (UTC) to backfill",
    )
    parser.add_argument(
        "--to",
        dest="end",
        type=parse_day,
        metavar="YYYY-MM-DD",
        help="last day (UTC) to backfill, at the latest yesterday",
    )
    parser.add_argument(
        "--output",
        dest="output",
        type=Path,
        required=True,
        metavar="DIR",
        help="directory of the day files (created; reused to resume)",
    )
    parser.add_argument(
        "--label",
        dest="labels",
        type=parse_label,
        action="append",
        metavar="NAME=VALUE",
        help="target label added to every series; job and instance are "
        "required and must be those of the live scrape",
    )
    parser.add_argument(
        "--legacy-files",
        dest="legacy_files",
        type=parse_legacy_input,
        nargs="+",
        action="extend",
        metavar="SCOPE=FILE",
        help="archived legacy /copilot/metrics answers: a JSON array of day "
        "objects per file, e.g. org:octo=octo.json org:octo/web=web.json",
    )
    parser.add_argument(
        "--merge",
        dest="merge",
        type=Path,
        metavar="FILE",
        help="also join every day file of --output into FILE, for one promtool run",
    )


# --- rendering ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    text: str
    series: frozenset[tuple[str, tuple[tuple[str, str], ...]]]
    samples: int


def escape_label_value(value: str) -> str:
    """OpenMetrics escaping of a label value or HELP text."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def format_value(value: float) -> str:
    """An OpenMetrics sample value."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def render(states: Sequence[ScopeState], timestamp: int, labels: Mapping[str, str]) -> Rendered:
    """OpenMetrics text of ``states`` as the live collector renders them, each sample stamped
    with ``timestamp`` and carrying the target ``labels``.

    The families come from ``SnapshotCollector`` itself, so names, label names and values
    are the live ones by construction; only the text is written here, because
    prometheus-client's OpenMetrics writer has no type hints to check this module against.
    """
    snapshot = Snapshot(tuple(states), ready=True)
    index = m.spec_index()
    lines: list[str] = []
    series: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    samples = 0
    for family in SnapshotCollector(lambda: snapshot).collect():
        spec = index.get(family.name)
        if spec is None or (spec.group == "status" and family.name not in _STATUS_KEPT):
            continue
        help_text = escape_label_value(family.documentation)
        lines.append(f"# HELP {family.name} {help_text}")
        lines.append(f"# TYPE {family.name} {family.type}")
        for sample in family.samples:
            key = tuple(sorted({**sample.labels, **labels}.items()))
            rendered = ",".join(f'{k}="{escape_label_value(v)}"' for k, v in key)
            lines.append(f"{sample.name}{{{rendered}}} {format_value(sample.value)} {timestamp}")
            series.add((sample.name, key))
            samples += 1
    lines.append("# EOF")
    return Rendered("\n".join(lines) + "\n", frozenset(series), samples)


def write_atomic(path: Path, text: str) -> None:
    """A run interrupted mid-write leaves no half day that resumption would take as done."""
    files.write_atomic(path, lambda handle: handle.write(text))


def day_files(directory: Path) -> list[Path]:
    """Every day file of an output directory, oldest day first."""
    return sorted(directory.glob(DAY_FILE_GLOB))


def merge(directory: Path, target: Path) -> int:
    """Join the day files into one OpenMetrics file (one ``# EOF``, at the end).

    promtool reads one file per run; it accepts a family's HELP/TYPE again further down
    (checked with promtool 2.42), so the day files are joined as they are, streamed.
    Returns the number of files joined.
    """
    days = [f for f in day_files(directory) if f.resolve() != target.resolve()]

    def join(out: TextIO) -> None:
        for path in days:
            with path.open(encoding="utf-8") as day:
                for line in day:
                    if line.rstrip("\n") != "# EOF":
                        out.write(line)
        out.write("# EOF\n")

    files.write_atomic(target, join)
    return len(days)


# --- progress and summary -----------------------------------------------------------------


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


def _scope_text(scope: Scope) -> str:
    return f"{scope.type} {scope.name}"


def _ranges(days: Iterable[date]) -> str:
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


@dataclass
class Summary:
    """What a run did, for the closing report and the exit status."""

    days: int = 0
    written: list[date] = field(default_factory=list)
    partial: list[date] = field(default_factory=list)
    scopes: set[Scope] = field(default_factory=set)
    series: set[tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=set)
    samples: int = 0
    files: int = 0
    legacy_files: int = 0
    # (scope text, reason) -> days; failures also keep their first message
    skipped: dict[tuple[str, str], list[date]] = field(default_factory=dict)
    failed: dict[tuple[str, str], list[date]] = field(default_factory=dict)
    messages: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def skip(self, scope: str, reason: str, day: date) -> None:
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
            existing = len(self.skipped.get(("all scopes", "exists"), []))
            partial = f" ({len(self.partial)} partial)" if self.partial else ""
            lines.append(
                f"  reports: {self.days} days asked, {len(self.written)} written"
                f"{partial}, {existing} already there"
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
                    f"    {scope}: {_REASON_TEXT.get(reason, reason)}: {len(days)} "
                    f"day{'s' if len(days) != 1 else ''} ({_ranges(days)})"
                )
        for scope in self._never_reported():
            lines.append(
                f"  {scope} had no report on any day asked: check the name and "
                "that the token can read its Copilot metrics"
            )
        if self.failed:
            lines.append("  failed (run again to retry these days):")
            for (scope, reason), days in sorted(self.failed.items()):
                lines.append(
                    f"    {scope}: {reason} on {len(days)} day"
                    f"{'s' if len(days) != 1 else ''} ({_ranges(days)}): "
                    f"{self.messages[(scope, reason)]}"
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


# --- the reports API ----------------------------------------------------------------------


@dataclass(frozen=True)
class DayOutcome:
    """One day of every report scope: what to write and what is missing, and why."""

    day: date
    states: tuple[ScopeState, ...]
    skipped: tuple[tuple[Scope, str], ...]
    failed: tuple[tuple[Scope, str, str], ...]

    @property
    def complete(self) -> bool:
        """Nothing missing that a later run could still get: only then is the day done."""
        return not self.failed and all(reason in _PERMANENT_SKIPS for _, reason in self.skipped)


async def fetch_day(
    source: ReportsSource, scopes: Sequence[Scope], day: date, today: date
) -> DayOutcome:
    """Every scope's values for ``day``, the live refresh's grouping (per owner) included:
    an organization's values depend on whether its teams are fetched alongside."""
    try:
        outcomes = await source.fetch(scopes, day)
    except Exception as exc:  # a bug must not end the run: this day fails, the rest go on
        log.exception("fetching %s crashed", day)
        return DayOutcome(day, (), (), tuple((s, "internal_error", repr(exc)) for s in scopes))
    states: list[ScopeState] = []
    skipped: list[tuple[Scope, str]] = []
    failed: list[tuple[Scope, str, str]] = []
    for scope, outcome in outcomes.items():
        if isinstance(outcome, ScopeResult):
            states.append(
                ScopeState(scope, up=True, values=outcome.values, report_day=outcome.day or day)
            )
        elif outcome.reason == "no_data":
            recent = day >= today - timedelta(days=LANDING_DAYS)
            skipped.append((scope, "not_published" if recent else "no_data"))
        elif outcome.reason in _PERMANENT_SKIPS:
            skipped.append((scope, outcome.reason))
        else:
            failed.append((scope, outcome.reason, outcome.message))
    return DayOutcome(day, tuple(states), tuple(skipped), tuple(failed))


async def backfill_reports(
    config: Config,
    days: Sequence[date],
    output: Path,
    labels: Mapping[str, str],
    summary: Summary,
    progress: Progress,
    shaper: cardinality.Shaper,
    *,
    client_options: Mapping[str, float] | None = None,
    today: date | None = None,
) -> None:
    """Fetch and write every day of ``days`` that has no complete file yet."""
    scopes = [s for s in config.scopes if s.source == "reports"]
    today = today or utc_now().date()
    client = make_client(config, ApiStats(), **dict(client_options or {}))
    noon = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    source = ReportsSource(client, lambda: noon)
    gate = asyncio.Semaphore(DAYS_IN_FLIGHT)

    async def one(day: date) -> None:
        async with gate:
            outcome = await fetch_day(source, scopes, day, today)
        _write_day(outcome, output, labels, summary, progress, shaper)

    async with client:
        await asyncio.gather(*(one(day) for day in days))


def _write_day(
    outcome: DayOutcome,
    output: Path,
    labels: Mapping[str, str],
    summary: Summary,
    progress: Progress,
    shaper: cardinality.Shaper,
) -> None:
    day = outcome.day
    for scope, reason in outcome.skipped:
        summary.skip(_scope_text(scope), reason, day)
    for scope, reason, message in outcome.failed:
        # A token without access fails every day the same way: say it once, count the rest.
        first = summary.fail(_scope_text(scope), reason, day, message)
        log.log(
            logging.WARNING if first else logging.DEBUG,
            "%s: %s failed: %s",
            day,
            _scope_text(scope),
            message,
            extra={"day": day.isoformat(), "scope": scope.name, "reason": reason},
        )
    complete_path = output / f"{day}.om"
    partial_path = output / f"{day}.partial.om"
    if not outcome.states:
        progress.advance(day, "nothing to write")
        return
    rendered = render(shaper.shape(outcome.states), sample_timestamp(day), labels)
    # A partial day keeps what it got (usable at once) under a name resumption does not
    # count as done, so the next run fetches the whole day again and replaces it.
    if outcome.complete:
        write_atomic(complete_path, rendered.text)
        partial_path.unlink(missing_ok=True)
        summary.written.append(day)
    else:
        write_atomic(partial_path, rendered.text)
        summary.written.append(day)
        summary.partial.append(day)
    summary.add(rendered, (s.scope for s in outcome.states))
    progress.advance(
        day,
        f"{len(outcome.states)} scopes, {rendered.samples} samples"
        + ("" if outcome.complete else " (partial)"),
    )


# --- archived legacy answers --------------------------------------------------------------


def load_legacy_days(path: Path) -> list[Mapping[str, Any]]:
    """The day objects of an archived answer: a JSON array (or an array of saved pages, or
    one day object), as the legacy API answered."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the file: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"{path}: not JSON: {exc}") from None
    if isinstance(body, Mapping):
        body = [body]
    if not isinstance(body, list):
        raise UsageError(
            f"{path}: expected a JSON array of day objects as /copilot/metrics answered it"
        )
    days: list[Mapping[str, Any]] = []
    for item in body:
        items = item if isinstance(item, list) else [item]
        for obj in items:
            if not isinstance(obj, Mapping):
                raise UsageError(
                    f"{path}: expected a JSON array of day objects, found "
                    f"{type(obj).__name__} {str(obj)[:40]!r} in it"
                )
            days.append(obj)
    return days


def _legacy_day(obj: Mapping[str, Any]) -> date | None:
    raw = obj.get("date")
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        return None


def legacy_file_name(day: date, scope: Scope) -> str:
    """``2025-03-01.legacy.team.octo.web.om``: one file per scope, so archives of several
    scopes can be added in separate runs without one hiding the other."""
    parts = [scope.type, scope.owner, *([scope.team] if scope.team else [])]
    slug = ".".join(_UNSAFE_IN_FILE_NAME.sub("_", p) for p in parts)
    return f"{day}.legacy.{slug}.om"


def backfill_legacy(
    inputs: Sequence[tuple[LegacyInput, list[Mapping[str, Any]]]],
    start: date | None,
    end: date | None,
    output: Path,
    labels: Mapping[str, str],
    summary: Summary,
    shaper: cardinality.Shaper,
) -> None:
    """Convert each archived day object with the legacy source's own table and write it."""

    for item, objects in inputs:
        scope_text = _scope_text(item.scope)
        seen: set[date] = set()
        written = 0
        for obj in objects:
            day = _legacy_day(obj)
            if day is None:
                summary.notes.append(f"{item.path}: {_REASON_TEXT['undated']}: skipped")
                continue
            if (start and day < start) or (end and day > end):
                continue
            if day in seen:
                summary.skip(scope_text, "duplicate", day)
                continue
            seen.add(day)
            path = output / legacy_file_name(day, item.scope)
            if path.exists():
                summary.skip(scope_text, "exists", day)
                continue
            values: Values = day_values(obj)
            state = ScopeState(item.scope, up=True, values=values, report_day=day)
            rendered = render(shaper.shape([state]), sample_timestamp(day), labels)
            write_atomic(path, rendered.text)
            summary.add(rendered, [item.scope])
            summary.legacy_files += 1
            written += 1
        log.info(
            "legacy file converted",
            extra={"file": str(item.path), "scope": item.scope.name, "days": written},
        )
        if not seen:
            summary.notes.append(f"{item.path}: no day object in the --from/--to range")


# --- the command --------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Everything validated before any request: bad input fails before work starts."""

    config: Config | None
    fetch: bool
    days: tuple[date, ...]
    labels: dict[str, str]
    legacy: tuple[tuple[LegacyInput, list[Mapping[str, Any]]], ...]
    output: Path
    start: date | None
    end: date | None
    merge: Path | None

    @property
    def cardinality(self) -> Cardinality:
        return self.config.cardinality if self.config is not None else Cardinality()


def _config_source(args: argparse.Namespace, has_legacy: bool) -> tuple[bool, Path | None]:
    """(whether to load a config, its file). Legacy files alone need none (nothing is
    fetched), but a config given with them still lends its cardinality rules; without a
    file the environment may name the scopes (COPILOT_EXPORTER_SCOPES)."""
    path: Path | None = getattr(args, "config_file", None)
    if path is None and os.environ.get("COPILOT_EXPORTER_CONFIG"):
        path = Path(os.environ["COPILOT_EXPORTER_CONFIG"])
    if path is not None:
        return True, path
    return bool(os.environ.get("COPILOT_EXPORTER_SCOPES")) or not has_legacy, None


def plan(args: argparse.Namespace, today: date | None = None) -> Plan:
    """Validate the flags, the config and the legacy files (UsageError / ConfigError).

    Reports are fetched when a config is there and either no legacy files are given or
    --from/--to are: with legacy files alone, --from/--to only filter the archives.
    """
    today = today or utc_now().date()
    labels = check_labels(args.labels)
    legacy_inputs: list[LegacyInput] = list(args.legacy_files or [])
    start: date | None = args.start
    end: date | None = args.end
    if start and end and start > end:
        raise UsageError(f"--from {start} is after --to {end}")
    if end is not None and end >= today:
        yesterday = today - timedelta(days=1)
        raise UsageError(
            f"--to {end}: the newest day with a report is yesterday ({yesterday}); "
            "a day's report exists only once the day is over"
        )
    wanted, config_file = _config_source(args, bool(legacy_inputs))
    config = load(config_file) if wanted else None
    fetch = config is not None and (not legacy_inputs or (start is not None and end is not None))
    days: tuple[date, ...] = ()
    if config is not None and fetch:
        if start is None or end is None:
            raise UsageError(
                "--from and --to are required to fetch reports: e.g. --from "
                f"{today - timedelta(days=90)} --to {today - timedelta(days=1)}"
            )
        if config.github.token is None and config.github.app is None:
            raise ConfigError(
                config.origin,
                ["github: no credentials: set GITHUB_TOKEN, github.token_file or github.app"],
            )
        days = tuple(start + timedelta(days=i) for i in range((end - start).days + 1))
    output: Path = args.output
    if output.exists() and not output.is_dir():
        raise UsageError(f"--output {output}: exists and is not a directory")
    seen: set[Scope] = set()
    for item in legacy_inputs:
        if item.scope in seen:
            raise UsageError(
                f"--legacy-files: {item.scope.type} {item.scope.name} given twice; "
                "join its archives into one JSON array"
            )
        seen.add(item.scope)
    legacy = tuple((item, load_legacy_days(item.path)) for item in legacy_inputs)
    return Plan(config, fetch, days, labels, legacy, output, start, end, args.merge)


def run(
    args: argparse.Namespace,
    *,
    stderr: TextIO | None = None,
    stdout: TextIO | None = None,
    client_options: Mapping[str, float] | None = None,
) -> int:
    """The ``backfill`` subcommand: 0 when every day was fetched or skipped for a reason,
    1 when something failed (the rest is still written), 2 for bad flags or config."""
    err = stderr or sys.stderr
    out = stdout or sys.stdout
    try:
        the_plan = plan(args)
    except UsageError as exc:
        print(f"backfill: {exc}", file=err)
        return 2
    except ConfigError as exc:
        print(f"invalid configuration:\n{exc}", file=err)
        return 2
    summary = Summary()
    output = the_plan.output
    output.mkdir(parents=True, exist_ok=True)
    todo = _todo(the_plan, summary)
    progress = Progress(len(todo), err)
    handlers = logging.getLogger().handlers
    clear = _ClearBar(progress)
    if progress.tty:
        for handler in handlers:
            handler.addFilter(clear)
    shaper = cardinality.Shaper(the_plan.cardinality)
    try:
        if the_plan.config is not None and the_plan.fetch:
            _note_legacy_scopes(the_plan.config, summary, the_plan.days)
            if todo:
                asyncio.run(
                    backfill_reports(
                        the_plan.config,
                        todo,
                        output,
                        the_plan.labels,
                        summary,
                        progress,
                        shaper,
                        client_options=client_options,
                    )
                )
        backfill_legacy(
            the_plan.legacy, the_plan.start, the_plan.end, output, the_plan.labels, summary, shaper
        )
    except KeyboardInterrupt:
        progress.finish()
        print(
            f"backfill: interrupted; {len(summary.written)} days written. Run the same "
            "command again to resume.",
            file=err,
        )
        return 130
    finally:
        for handler in handlers:
            handler.removeFilter(clear)
    progress.finish()
    if the_plan.merge is not None:
        joined = merge(output, the_plan.merge)
        summary.notes.append(f"merged {joined} day files into {the_plan.merge}")
        summary.notes.append(
            "next: promtool tsdb create-blocks-from openmetrics "
            f"{the_plan.merge} BLOCKS_DIR (see docs/backfill.md)"
        )
    else:
        summary.notes.append(
            f"next: for f in {output}/*.om; do promtool tsdb "
            'create-blocks-from openmetrics "$f" BLOCKS_DIR; done '
            "(see docs/backfill.md)"
        )
    print(summary.render(output), file=out)
    return 1 if summary.failed else 0


def _note_legacy_scopes(config: Config, summary: Summary, days: Sequence[date]) -> None:
    for scope in config.scopes:
        if scope.source != "reports":
            for day in days:
                summary.skip(_scope_text(scope), "legacy_source", day)


def _todo(the_plan: Plan, summary: Summary) -> list[date]:
    """The days without a complete file: resumption is a file per day that exists or not."""
    summary.days = len(the_plan.days)
    if (
        the_plan.config is None
        or not the_plan.fetch
        or not any(s.source == "reports" for s in the_plan.config.scopes)
    ):
        return []
    todo: list[date] = []
    for day in the_plan.days:
        if (the_plan.output / f"{day}.om").exists():
            summary.skip("all scopes", "exists", day)
        else:
            todo.append(day)
    return todo
