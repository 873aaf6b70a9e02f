"""The ``backfill`` subcommand itself: its flags (argparse wiring), the run that takes a
:class:`~exporter.backfill.plan.Plan` through fetching, writing and the summary, and the
exit status: 0 when every day was written or skipped for a reason, 1 when something failed
(the rest is still written), 2 for bad flags or config, 130 when interrupted."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

from exporter import cardinality, files
from exporter.backfill import writer
from exporter.backfill.fetch import (
    BillingDays,
    DayOutcome,
    DaySource,
    ReportDays,
    billing_days,
    fetch_days,
    legacy_days,
    report_days,
)
from exporter.backfill.plan import (
    LegacyArchive,
    Plan,
    UsageError,
    build_plan,
    parse_day,
    parse_label,
    parse_legacy_input,
)
from exporter.backfill.progress import (
    ALL_SCOPES,
    ALL_SPEND,
    REASON_TEXT,
    Progress,
    Summary,
    logs_clear_the_bar,
    scope_text,
)
from exporter.config import Config, ConfigError
from exporter.refresh import Part
from exporter.snapshot import ScopeState

log = logging.getLogger(__name__)


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
        "--billing",
        dest="billing",
        nargs="?",
        const="also",
        choices=["also", "only"],
        help="also write the spend of each day (AI credits month to date, premium requests "
        "before June 2026; up to 24 months back) into DAY.billing.om; '--billing only' "
        "skips the reports",
    )
    parser.add_argument(
        "--merge",
        dest="merge",
        type=Path,
        metavar="FILE",
        help="also join every day file of --output into FILE, for one promtool run",
    )


def run(
    args: argparse.Namespace,
    *,
    stderr: TextIO | None = None,
    stdout: TextIO | None = None,
    client_options: Mapping[str, float] | None = None,
    today: date | None = None,
) -> int:
    """The ``backfill`` subcommand: 0 when every day was fetched or skipped for a reason,
    1 when something failed (the rest is still written), 2 for bad flags or config, 130
    when interrupted (a rerun resumes). ``today`` is the run's day (UTC; default: now)."""
    err = stderr or sys.stderr
    out = stdout or sys.stdout
    try:
        plan = build_plan(args, today)
    except UsageError as exc:
        print(f"backfill: {exc}", file=err)
        return 2
    except ConfigError as exc:
        print(f"invalid configuration:\n{exc}", file=err)
        return 2
    plan.output.mkdir(parents=True, exist_ok=True)
    files.remove_interrupted(plan.output, "*.om")  # a killed run's half-written days
    summary = Summary()
    config = plan.report_config
    todo = _todo(plan, summary)
    spend = _billing_todo(plan, summary)
    progress = Progress(len(todo) + len(spend), err)
    day_writer = _DayWriter(plan, summary, progress)
    try:
        with logs_clear_the_bar(progress):
            if config is not None:
                _note_legacy_scopes(config, summary, plan.days)
                if todo:
                    asyncio.run(
                        _fetch_reports(config, plan.today, todo, day_writer, client_options)
                    )
            if plan.billing_config is not None and spend:
                asyncio.run(_fetch_billing(plan.billing_config, spend, day_writer, client_options))
            for archive in plan.legacy:
                day_writer.legacy(archive)
    except KeyboardInterrupt:
        progress.finish()
        print(
            f"backfill: interrupted; {len(summary.written)} days written. Run the same "
            "command again to resume.",
            file=err,
        )
        return 130
    progress.finish()
    _next_steps(plan, summary)
    print(summary.render(plan.output), file=out)
    return 1 if summary.failed else 0


async def _fetch_reports(
    config: Config,
    today: date,
    days: Sequence[date],
    day_writer: _DayWriter,
    client_options: Mapping[str, float] | None,
) -> None:
    async with report_days(config, today, client_options) as source:
        await fetch_days(source, days, lambda outcome: day_writer.fetched(source, outcome))


async def _fetch_billing(
    config: Config,
    days: Sequence[date],
    day_writer: _DayWriter,
    client_options: Mapping[str, float] | None,
) -> None:
    async with billing_days(config, client_options) as source:
        await fetch_days(source, days, lambda outcome: day_writer.fetched(source, outcome))


class _DayWriter:
    """Writes each day as it comes and keeps the summary and the progress up to date."""

    def __init__(self, plan: Plan, summary: Summary, progress: Progress) -> None:
        self._plan = plan
        self._summary = summary
        self._progress = progress
        # one Shaper for the run: a budget that drops series warns once, not once a day
        self._shaper = cardinality.Shaper(plan.cardinality)

    def _render(
        self, states: Sequence[ScopeState], day: date, part: Part = "scopes"
    ) -> writer.Rendered:
        return writer.render(
            self._shaper.shape(states), writer.sample_timestamp(day), self._plan.labels, part
        )

    def fetched(self, source: DaySource, outcome: DayOutcome) -> None:
        """A fetched day: its skips and failures counted, what it has written."""
        day, summary = outcome.day, self._summary
        for scope, skipped in outcome.skipped:
            summary.skip(scope_text(scope), skipped, day)
        for scope, reason, message in outcome.failed:
            # A token without access fails every day the same way: say it once, count the rest.
            first = summary.fail(scope_text(scope), reason, day, message)
            log.log(
                logging.WARNING if first else logging.DEBUG,
                "%s: %s failed: %s",
                day,
                scope_text(scope),
                message,
                extra={"day": day.isoformat(), "scope": scope.name, "reason": reason},
            )
        if not outcome.states:
            self._progress.advance(day, "nothing to write")
            return
        rendered = self._render(outcome.states, day, outcome.part)
        writer.write_day(
            self._plan.output, day, rendered.text, complete=outcome.complete, tag=source.file_tag
        )
        (summary.billing_written if outcome.part == "billing" else summary.written).append(day)
        if not outcome.complete:
            summary.partial.append(day)
        summary.add(rendered, (s.scope for s in outcome.states))
        self._progress.advance(
            day,
            f"{len(outcome.states)} scopes, {rendered.samples} samples"
            + ("" if outcome.complete else " (partial)"),
        )

    def legacy(self, archive: LegacyArchive) -> None:
        """An archive's days in the --from/--to range, each written unless already there."""
        plan, summary = self._plan, self._summary
        converted = legacy_days(archive.scope, archive.objects, plan.start, plan.end)
        text = scope_text(archive.scope)
        summary.notes.extend(
            [f"{archive.path}: {REASON_TEXT['undated']}: skipped"] * converted.undated
        )
        for day in converted.duplicates:
            summary.skip(text, "duplicate", day)
        written = 0
        for day, state in converted.states.items():
            path = writer.legacy_file(plan.output, day, archive.scope)
            if path.exists():
                summary.skip(text, "exists", day)
                continue
            rendered = self._render([state], day)
            writer.write_atomic(path, rendered.text)
            summary.add(rendered, [archive.scope])
            summary.legacy_files += 1
            written += 1
        log.info(
            "legacy file converted",
            extra={"file": str(archive.path), "scope": archive.scope.name, "days": written},
        )
        if not converted.states:
            summary.notes.append(f"{archive.path}: no day object in the --from/--to range")


def _note_legacy_scopes(config: Config, summary: Summary, days: Sequence[date]) -> None:
    for scope in config.scopes:
        if scope.source != "reports":
            for day in days:
                summary.skip(scope_text(scope), "legacy_source", day)


def _todo(plan: Plan, summary: Summary) -> list[date]:
    """The report days to fetch."""
    config = plan.report_config
    summary.days = len(plan.days) if config is not None else 0
    if config is None or not any(s.source == "reports" for s in config.scopes):
        return []
    return _missing(plan.days, plan.output, ReportDays.file_tag, summary)


def _billing_todo(plan: Plan, summary: Summary) -> list[date]:
    """The days whose spend to fetch."""
    config = plan.billing_config
    if config is None:
        return []
    summary.billing_days = len(plan.days)
    if not any(not s.is_team for s in config.scopes):
        summary.notes.append("--billing: no organization or enterprise scope: no spend to fetch")
        return []
    return _missing(plan.days, plan.output, BillingDays.file_tag, summary, ALL_SPEND)


def _missing(
    days: Sequence[date], output: Path, tag: str, summary: Summary, what: str = ALL_SCOPES
) -> list[date]:
    """The days without a complete file of their kind: resumption is a file per day that
    exists or not."""
    todo: list[date] = []
    for day in days:
        if writer.day_file(output, day, tag).exists():
            summary.skip(what, "exists", day)
        else:
            todo.append(day)
    return todo


def _next_steps(plan: Plan, summary: Summary) -> None:
    """The merge, when asked for, and the promtool command that comes next."""
    if plan.merge is not None:
        joined = writer.merge(plan.output, plan.merge)
        summary.notes.append(f"merged {joined} day files into {plan.merge}")
        summary.notes.append(
            "next: promtool tsdb create-blocks-from openmetrics "
            f"{plan.merge} BLOCKS_DIR (see docs/backfill.md)"
        )
    else:
        summary.notes.append(
            f"next: for f in {plan.output}/*.om; do promtool tsdb "
            'create-blocks-from openmetrics "$f" BLOCKS_DIR; done '
            "(see docs/backfill.md)"
        )
