"""Day files: a day's states as timestamped OpenMetrics text, written atomically, and the
merge of every day file into one for promtool.

The families come from the live ``SnapshotCollector`` (:func:`day_families`), so names,
label names and values are the live ones by construction, and a metric family added to the
collector is backfilled without a change here.

The text is written by prometheus-client's own OpenMetrics writer, fed a collector that
yields these families: it writes the int timestamps, sorted and escaped labels, and values
as the live ``/metrics`` OpenMetrics format does (Go's float format: a report-day timestamp
reads ``1.7723232e+09``, with every digit kept). promtool turns its files, and a merge of
them, into blocks.

Example day file (``2026-03-01.om``)::

    # HELP github_copilot_daily_active_users Users active on the report day. ...
    # TYPE github_copilot_daily_active_users gauge
    github_copilot_daily_active_users{instance="exporter:9185",job="copilot",\
scope="octo",scope_type="organization"} 42.0 1772409601
    # EOF
"""

from __future__ import annotations

import re
from calendar import timegm
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric
from prometheus_client.openmetrics import exposition as om_format
from prometheus_client.registry import Collector

from exporter import files
from exporter import metrics as m
from exporter.collector import SnapshotCollector
from exporter.config import Scope
from exporter.refresh import Part
from exporter.snapshot import ScopeState, Snapshot

SAMPLE_OFFSET_SECONDS = 1
"""Day D's samples are stamped 00:00:01 UTC of D+1 (see :func:`sample_timestamp`)."""

DAY_FILE_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*.om"
EOF = "# EOF"

# Only what describes the report day is backfilled: refresh times, durations and failure
# reasons describe the moment a live refresh ran, which a backfill run is not.
_STATUS_KEPT = frozenset({m.PREFIX + "up", m.PREFIX + "report_day_timestamp_seconds", m.BILLING_UP})
_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9_-]")

Series = tuple[str, tuple[tuple[str, str], ...]]
"""A series as the summary counts it: the sample name and its sorted labels."""


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


# --- OpenMetrics text ---------------------------------------------------------------------


def day_families(
    states: Sequence[ScopeState],
    timestamp: int,
    labels: Mapping[str, str],
    part: Part = "scopes",
) -> list[Metric]:
    """The families the live collector renders for ``states`` as snapshot ``part``, less
    the status families of a live refresh; every sample carries the target ``labels`` and
    ``timestamp``."""
    found = tuple(states)
    snapshot = (
        Snapshot(billing=found, ready=True)
        if part == "billing"
        else Snapshot(seats=found, ready=True)
        if part == "seats"
        else Snapshot(found, ready=True)
    )
    index = m.spec_index()
    out: list[Metric] = []
    for family in SnapshotCollector(lambda: snapshot).collect():
        spec = index.get(family.name)
        if spec is None or (spec.group == "status" and family.name not in _STATUS_KEPT):
            continue
        stamped = Metric(family.name, family.documentation, family.type, family.unit)
        stamped.samples = [
            sample._replace(labels={**sample.labels, **labels}, timestamp=timestamp)
            for sample in family.samples
        ]
        out.append(stamped)
    return out


class _Families(Collector):
    """A fixed list of families as a collector, for the library's writer."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def text(families: Iterable[Metric]) -> str:
    """One OpenMetrics document: each family's HELP, TYPE and samples with their
    timestamps, then ``# EOF``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(families))
    document: bytes = om_format.generate_latest(registry)  # type: ignore[no-untyped-call]
    return document.decode("utf-8")


@dataclass(frozen=True)
class Rendered:
    """A day file's text, with the series and sample count the summary adds up."""

    text: str
    series: frozenset[Series]
    samples: int


def render(
    states: Sequence[ScopeState],
    timestamp: int,
    labels: Mapping[str, str],
    part: Part = "scopes",
) -> Rendered:
    """``states`` as the live collector renders them (as snapshot ``part``), each sample
    stamped with ``timestamp`` and carrying the target ``labels``."""
    families = day_families(states, timestamp, labels, part)
    samples = [sample for family in families for sample in family.samples]
    series = frozenset((s.name, tuple(sorted(s.labels.items()))) for s in samples)
    return Rendered(text(families), series, len(samples))


# --- files --------------------------------------------------------------------------------


def day_file(directory: Path, day: date, tag: str = "", *, partial: bool = False) -> Path:
    """``DIR/2026-03-01.om``, or ``DIR/2026-03-01.partial.om`` while scopes are missing.

    ``tag`` names a kind of day data other than the reports (``2026-03-01.TAG.om``), so
    that kinds resume independently; the reports' files have none.
    """
    parts = [str(day), *([tag] if tag else []), *(["partial"] if partial else []), "om"]
    return directory / ".".join(parts)


def legacy_file(directory: Path, day: date, scope: Scope) -> Path:
    """``DIR/2025-03-01.legacy.team.octo.web.om``: one file per scope, so archives of
    several scopes can be added in separate runs without one hiding the other."""
    parts = [scope.type, scope.owner, *([scope.team] if scope.team else [])]
    slug = ".".join(_UNSAFE_IN_FILE_NAME.sub("_", p) for p in parts)
    return directory / f"{day}.legacy.{slug}.om"


def write_atomic(path: Path, content: str) -> None:
    """A run interrupted mid-write leaves no half day that resumption would take as done."""
    files.write_atomic(path, lambda handle: handle.write(content))


def write_day(directory: Path, day: date, content: str, *, complete: bool, tag: str = "") -> Path:
    """Write a fetched day; returns the file written.

    A partial day keeps what it got (usable at once) under a name resumption does not count
    as done, so the next run fetches the whole day again; a complete day replaces it.
    """
    complete_path = day_file(directory, day, tag)
    partial_path = day_file(directory, day, tag, partial=True)
    if not complete:
        write_atomic(partial_path, content)
        return partial_path
    write_atomic(complete_path, content)
    partial_path.unlink(missing_ok=True)
    return complete_path


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
                    if line.rstrip("\n") != EOF:
                        out.write(line)
        out.write(EOF + "\n")

    files.write_atomic(target, join)
    return len(days)
