"""What a backfill run will do, checked before any request: the flags (argparse types), the
config and the legacy files become a :class:`Plan`, or a :class:`UsageError` /
``ConfigError`` that names the fix, so bad input fails before work starts."""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from exporter import metrics as m
from exporter.backfill.fetch import BILLING_MONTHS, billing_history_start
from exporter.config import Cardinality, Config, ConfigError, Scope, load, scope_from_text
from exporter.source import utc_now

REQUIRED_LABELS = ("job", "instance")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class UsageError(Exception):
    """A bad flag value or input file; the message names the fix."""


# --- flags (argparse types) -----------------------------------------------------------------


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


@dataclass(frozen=True)
class LegacyInput:
    """One ``--legacy-files`` argument: a JSON file of archived day objects for one scope."""

    scope: Scope
    path: Path


def legacy_scope(text: str) -> Scope:
    """A scope in the ``COPILOT_EXPORTER_SCOPES`` syntax (``org:octo/web``), read by the
    config's own parser, as a legacy-source scope; ValueError names the fix.

    The legacy API answered per team, so a file is one named team: ``*`` is refused.
    """
    scope = scope_from_text(text.strip(), "legacy")
    if scope.is_wildcard:
        raise ValueError(f"{text!r}: name one team per file (the legacy answers were per team)")
    return scope


def parse_legacy_input(text: str) -> LegacyInput:
    """``SCOPE=FILE`` (argparse type), e.g. ``org:octo=octo-2025.json``."""
    scope_text, sep, path = text.partition("=")
    if not sep or not path:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected SCOPE=FILE, e.g. org:octo=octo-2025.json or "
            "org:octo/web=octo-web.json"
        )
    try:
        scope = legacy_scope(scope_text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return LegacyInput(scope, Path(path))


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


# --- legacy files -------------------------------------------------------------------------


@dataclass(frozen=True)
class LegacyArchive:
    """A legacy file read: its scope, where it came from, and its day objects."""

    scope: Scope
    path: Path
    objects: tuple[Mapping[str, Any], ...]


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


def load_legacy(inputs: Sequence[LegacyInput]) -> tuple[LegacyArchive, ...]:
    """Every legacy file read, each scope once (two files of one scope would each write
    the same day files)."""
    seen: set[Scope] = set()
    for item in inputs:
        if item.scope in seen:
            raise UsageError(
                f"--legacy-files: {item.scope.type} {item.scope.name} given twice; "
                "join its archives into one JSON array"
            )
        seen.add(item.scope)
    return tuple(
        LegacyArchive(item.scope, item.path, tuple(load_legacy_days(item.path))) for item in inputs
    )


# --- the plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Everything validated before any request: bad input fails before work starts."""

    config: Config | None
    fetch: bool
    days: tuple[date, ...]
    labels: Mapping[str, str]
    legacy: tuple[LegacyArchive, ...]
    output: Path
    start: date | None
    end: date | None
    merge: Path | None
    today: date
    """The day the run started (UTC): days from it on have no report yet."""
    billing: bool = False
    """Whether the spend of each day is fetched too (``--billing``)."""

    @property
    def cardinality(self) -> Cardinality:
        return self.config.cardinality if self.config is not None else Cardinality()

    @property
    def report_config(self) -> Config | None:
        """The config whose ``source: reports`` scopes are fetched; None when nothing is."""
        return self.config if self.fetch else None

    @property
    def billing_config(self) -> Config | None:
        """The config whose organization and enterprise scopes' spend is fetched."""
        return self.config if self.billing else None


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


def _check_range(start: date | None, end: date | None, today: date) -> None:
    if start and end and start > end:
        raise UsageError(f"--from {start} is after --to {end}")
    if end is not None and end >= today:
        yesterday = today - timedelta(days=1)
        raise UsageError(
            f"--to {end}: the newest day with a report is yesterday ({yesterday}); "
            "a day's report exists only once the day is over"
        )


def _report_days(
    config: Config, start: date | None, end: date | None, today: date
) -> tuple[date, ...]:
    """The days to fetch, once the config can fetch them."""
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
    return tuple(start + timedelta(days=i) for i in range((end - start).days + 1))


def build_plan(args: argparse.Namespace, today: date | None = None) -> Plan:
    """Validate the flags, the config and the legacy files (UsageError / ConfigError).

    Reports are fetched when a config is there and either no legacy files are given or
    --from/--to are: with legacy files alone, --from/--to only filter the archives.
    """
    today = today or utc_now().date()
    labels = check_labels(args.labels)
    legacy_inputs: list[LegacyInput] = list(args.legacy_files or [])
    start: date | None = args.start
    end: date | None = args.end
    _check_range(start, end, today)
    spend: str | None = getattr(args, "billing", None)
    wanted, config_file = _config_source(args, bool(legacy_inputs) and spend is None)
    config = load(config_file) if wanted else None
    fetch = config is not None and (not legacy_inputs or (start is not None and end is not None))
    days = _report_days(config, start, end, today) if config is not None and fetch else ()
    if spend is not None:
        _check_billing(config, start, today)
        fetch = fetch and spend != "only"
    output: Path = args.output
    if output.exists() and not output.is_dir():
        raise UsageError(f"--output {output}: exists and is not a directory")
    legacy = load_legacy(legacy_inputs)
    return Plan(
        config,
        fetch,
        days,
        labels,
        legacy,
        output,
        start,
        end,
        args.merge,
        today,
        billing=spend is not None,
    )


def _check_billing(config: Config | None, start: date | None, today: date) -> None:
    """Spend needs a config (its scopes and credentials) and a range GitHub still has."""
    if config is None:
        raise UsageError(
            "--billing reads the spend of the config's organization and enterprise scopes: "
            "give --config.file (or COPILOT_EXPORTER_SCOPES)"
        )
    earliest = billing_history_start(today)
    if start is not None and start < earliest:
        raise UsageError(
            f"--from {start}: GitHub keeps {BILLING_MONTHS} months of billing usage; the "
            f"earliest day is {earliest}"
        )
