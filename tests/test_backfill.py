"""The backfill subcommand: day files from the fake GitHub, resumption, skips and failures,
legacy archives, and the whole path through promtool into a Prometheus that also scrapes a
live exporter, where past and present must be one series."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import re
import subprocess
import time
from calendar import timegm
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.core import Metric
from prometheus_client.openmetrics import parser as openmetrics
from prometheus_client.samples import Sample

from exporter import backfill, cardinality
from exporter import config as config_mod
from exporter import metrics as m
from exporter.app import Exporter
from exporter.backfill import writer
from exporter.backfill.fetch import DayOutcome, fetch_days
from exporter.backfill.progress import Progress
from exporter.backfill.writer import sample_timestamp
from exporter.clients import static_token
from exporter.config import Config, Scope
from exporter.fakegithub import FakeGitHub, Fault, SimulatedStore, StaticStore
from exporter.github import GitHubClient
from exporter.legacy import day_values
from exporter.metrics import spec_index
from exporter.reports import ReportsSource
from exporter.snapshot import ScopeState
from exporter.source import ScopeResult
from tests.fixtures import (
    ESTATE_SCOPES,
    SURFACES_SCOPES,
    entity,
    estate,
    membership,
    repo_row,
    surfaces_estate,
    user,
)
from tests.fixtures_legacy import SEED_EXAMPLE
from tests.helpers import (
    NEW_REPORT_METRICS,
    REPOSITORY_METRICS,
    TOKEN,
    ExporterFactory,
    scrape,
    yesterday,
)
from tests.helpers import value as live_value
from tests.prom import Prometheus, require_binaries, running_prometheus, wait_until

FAST = {"backoff": 0.01, "min_rate_limit_wait": 0.05}
LABELS = ["--label", "job=copilot", "--label", "instance=exporter:9185"]
Series = tuple[str, frozenset[tuple[str, str]]]


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The arguments as ``copilot-exporter backfill ...`` parses them."""
    parser = argparse.ArgumentParser(prog="copilot-exporter")
    backfill.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["backfill", *argv])


def run(argv: Sequence[str]) -> tuple[int, str, str]:
    """Exit status, stdout (the summary) and stderr of one backfill run."""
    out, err = io.StringIO(), io.StringIO()
    status = backfill.run(parse(argv), stdout=out, stderr=err, client_options=FAST)
    return status, out.getvalue(), err.getvalue()


def write_config(path: Path, api_url: str, scopes: Sequence[Mapping[str, object]]) -> Path:
    path.write_text(
        yaml.safe_dump({"github": {"api_url": api_url, "max_retries": 0}, "scopes": list(scopes)}),
        encoding="utf-8",
    )
    return path


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    for name in (
        "COPILOT_EXPORTER_CONFIG",
        "COPILOT_EXPORTER_SCOPES",
        "GITHUB_API_URL",
        "GITHUB_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)


def days_back(*back: int) -> list[date]:
    return [(yesterday() + timedelta(days=1)) - timedelta(days=b) for b in back]


def report_days_asked(github: FakeGitHub) -> set[str]:
    return {r.query["day"] for r in github.requests if r.host == "api" and "day" in r.query}


# --- timestamps and flags -------------------------------------------------------------------


def test_a_day_is_stamped_one_second_into_the_next_day() -> None:
    stamp = sample_timestamp(date(2026, 3, 1))
    assert datetime.fromtimestamp(stamp, UTC) == datetime(2026, 3, 2, 0, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("job", "expected NAME=VALUE"),
        ("1job=x", "is not a label name"),
        ("__name__=x", "reserved for Prometheus"),
        ("scope=octo", "set by the exporter itself"),
        ("editor=vim", "set by the exporter itself"),
        ("job=", "give a value"),
    ],
)
def test_a_malformed_label_flag_is_refused_with_the_fix(
    flag: str, message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse(["--output", str(tmp_path), "--label", flag])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (["--label", "job=copilot"], "missing --label instance=..."),
        ([], "missing --label job=... and --label instance=..."),
        (["--label", "job=a", "--label", "job=b", "--label", "instance=x"], "given twice"),
    ],
)
def test_job_and_instance_are_required_once(
    labels: list[str], message: str, tmp_path: Path
) -> None:
    status, _, err = run(
        [
            "--output",
            str(tmp_path / "out"),
            *labels,
            "--legacy-files",
            f"org:octo={tmp_path / 'none.json'}",
        ]
    )
    assert status == 2
    assert message in err
    assert not (tmp_path / "out").exists()  # nothing starts before the flags are right


def test_days_that_cannot_have_a_report_yet_are_refused(tmp_path: Path, github: FakeGitHub) -> None:
    config = write_config(tmp_path / "c.yml", github.api_url, [{"org": "octo"}])
    today = yesterday() + timedelta(days=1)
    status, _, err = run(
        [
            "--config.file",
            str(config),
            "--from",
            str(today - timedelta(3)),
            "--to",
            str(today),
            "--output",
            str(tmp_path / "out"),
            *LABELS,
        ]
    )
    assert status == 2
    assert "the newest day with a report is yesterday" in err


# --- the reports API --------------------------------------------------------------------------


def test_each_day_becomes_one_file_with_the_live_series_and_one_timestamp(
    tmp_path: Path, store: StaticStore, github: FakeGitHub
) -> None:
    day = days_back(10)[0]
    estate(store, day)
    config = write_config(tmp_path / "c.yml", github.api_url, ESTATE_SCOPES)
    status, summary, _ = run(
        [
            "--config.file",
            str(config),
            "--from",
            str(day),
            "--to",
            str(day),
            "--output",
            str(tmp_path / "out"),
            *LABELS,
        ]
    )
    assert status == 0, summary
    text = (tmp_path / "out" / f"{day}.om").read_text()
    stamp = str(sample_timestamp(day))
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    assert samples and all(line.endswith(f" {stamp}") for line in samples)
    assert text.endswith("# EOF\n")
    assert (
        'github_copilot_code_generations{instance="exporter:9185",job="copilot",'
        f'scope="octo/web",scope_type="team"}} 20.0 {stamp}'
    ) in samples
    day_series = (
        'github_copilot_report_day_timestamp_seconds{instance="exporter:9185",'
        'job="copilot",scope="octo",scope_type="organization"} '
    )
    [written] = [line.removeprefix(day_series) for line in samples if line.startswith(day_series)]
    value, written_stamp = written.split(" ")
    assert (float(value), written_stamp) == (float(timegm(day.timetuple())), stamp)
    assert not any("last_success" in line or "refresh_duration" in line for line in samples)
    assert "files: 1, scopes: 7" in summary
    # the live cardinality rules: teams get totals plus editor and feature breakdowns only
    assert "github_copilot_code_generations_by_language_model{" in text
    assert not any(
        line.startswith("github_copilot_code_generations_by_language_model{")
        and 'scope_type="team"' in line
        for line in samples
    )


def test_flags_given_before_the_subcommand_are_kept(tmp_path: Path) -> None:
    """``copilot-exporter --config.file F backfill ...`` must not lose F to a default."""
    parser = argparse.ArgumentParser(prog="copilot-exporter")
    parser.add_argument("--config.file", dest="config_file", type=Path)
    parser.add_argument("--log.level", dest="log_level", default="info")
    backfill.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        [
            "--config.file",
            "c.yml",
            "--log.level",
            "debug",
            "backfill",
            "--output",
            str(tmp_path),
            *LABELS,
        ]
    )
    assert (args.config_file, args.log_level) == (Path("c.yml"), "debug")
    args = parser.parse_args(["backfill", "--config.file", "d.yml", "--output", str(tmp_path)])
    assert args.config_file == Path("d.yml")


def test_days_already_written_are_skipped_when_run_again(
    tmp_path: Path, store: StaticStore, github: FakeGitHub
) -> None:
    days = days_back(12, 11, 10)
    for day in days:
        estate(store, day)
    config = write_config(tmp_path / "c.yml", github.api_url, ESTATE_SCOPES)
    argv = [
        "--config.file",
        str(config),
        "--from",
        str(days[0]),
        "--to",
        str(days[-1]),
        "--output",
        str(tmp_path / "out"),
        *LABELS,
    ]
    assert run(argv)[0] == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{d}.om" for d in days]

    github.clear_requests()
    status, summary, _ = run(argv)
    assert status == 0
    assert github.requests == []
    assert "3 already there" in summary

    (tmp_path / "out" / f"{days[1]}.om").unlink()
    assert run(argv)[0] == 0
    assert report_days_asked(github) == {str(days[1])}
    assert (tmp_path / "out" / f"{days[1]}.om").exists()


def test_a_day_without_a_report_is_skipped_with_the_reason(
    tmp_path: Path, store: StaticStore, github: FakeGitHub
) -> None:
    old, missing, last = days_back(12, 11, 10)
    estate(store, old)
    estate(store, last)
    config = write_config(tmp_path / "c.yml", github.api_url, [{"org": "octo"}])
    status, summary, _ = run(
        [
            "--config.file",
            str(config),
            "--from",
            str(old),
            "--to",
            str(last),
            "--output",
            str(tmp_path / "out"),
            *LABELS,
        ]
    )
    assert status == 0, summary
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{old}.om", f"{last}.om"]
    assert (
        f"organization octo: GitHub has no report for the day (204/404): 1 day ({missing})"
    ) in summary


def test_a_recent_day_without_a_report_stays_open_for_the_next_run(
    tmp_path: Path, store: StaticStore, github: FakeGitHub
) -> None:
    before, yesterday = days_back(2, 1)
    estate(store, before)
    config = write_config(tmp_path / "c.yml", github.api_url, [{"org": "octo"}])
    argv = [
        "--config.file",
        str(config),
        "--from",
        str(before),
        "--to",
        str(yesterday),
        "--output",
        str(tmp_path / "out"),
        *LABELS,
    ]
    status, summary, _ = run(argv)
    assert status == 0
    assert "no report yet" in summary
    assert not (tmp_path / "out" / f"{yesterday}.om").exists()

    estate(store, yesterday)  # GitHub publishes it later
    assert run(argv)[0] == 0
    assert (tmp_path / "out" / f"{yesterday}.om").exists()


def test_a_failing_scope_does_not_stop_the_others_and_exits_1(
    tmp_path: Path, store: StaticStore, github: FakeGitHub
) -> None:
    days = days_back(12, 11, 10)
    for day in days:
        estate(store, day)
    bad = days[1]
    github.add_fault(
        Fault(rf"/orgs/hub/copilot/metrics/reports/organization-1-day\?day={bad}", status=403)
    )
    config = write_config(tmp_path / "c.yml", github.api_url, ESTATE_SCOPES)
    argv = [
        "--config.file",
        str(config),
        "--from",
        str(days[0]),
        "--to",
        str(days[-1]),
        "--output",
        str(tmp_path / "out"),
        *LABELS,
    ]
    status, summary, _ = run(argv)
    assert status == 1
    assert f"organization hub: forbidden on 1 day ({bad})" in summary
    out = tmp_path / "out"
    partial = (out / f"{bad}.partial.om").read_text()
    assert 'scope="octo"' in partial
    assert 'scope="hub",scope_type="organization"' not in partial
    assert (out / f"{days[0]}.om").exists()
    assert (out / f"{days[2]}.om").exists()

    github.clear_faults()
    github.clear_requests()
    assert run(argv)[0] == 0
    assert report_days_asked(github) == {str(bad)}  # only the partial day again
    assert 'scope="hub",scope_type="organization"' in (out / f"{bad}.om").read_text()
    assert not (out / f"{bad}.partial.om").exists()


def older_day(store: StaticStore, day: date) -> None:
    """nova and nebula as the first release's reports had them: none of the newer fields,
    and no repository report (204)."""
    for kind, owner, org in (
        ("organization-1-day", "nova", "orgs/nova"),
        ("enterprise-1-day", "nebula", "enterprises/nebula"),
    ):
        store.set_report(kind, owner, day, [entity(day, dau=2, gen=20, acc=8)])
        store.set_report("users-1-day", org, day, [user(201, day), user(301, day, cli=True)])
        store.set_report(
            "user-teams-1-day",
            org,
            day,
            [membership(uid, slug, day, 1) for uid, slug in ((201, "agents"), (301, "core"))],
        )


def test_backfilled_days_hold_the_newer_families_only_from_the_day_github_sends_them(
    tmp_path: Path, store: StaticStore, github: FakeGitHub
) -> None:
    old, new = days_back(12, 11)
    older_day(store, old)
    surfaces_estate(store, new)  # today's shapes, repositories of nova and nebula included
    estate(store, old)
    estate(store, new)
    store.set_report(
        "repos-1-day", "orgs/octo", new, [repo_row(new, "octo", "a", created=1, merged=1)]
    )
    scopes = [*SURFACES_SCOPES, {"org": "octo"}]  # octo has repositories but does not opt in
    config = write_config(tmp_path / "c.yml", github.api_url, scopes)
    status, summary, _ = run(
        [
            "--config.file",
            str(config),
            "--from",
            str(old),
            "--to",
            str(new),
            "--output",
            str(tmp_path / "out"),
            *LABELS,
        ]
    )
    assert status == 0, summary

    def families(day: date) -> dict[str, set[str]]:
        """metric name -> the scopes with a sample of it, in the day's file"""
        found: dict[str, set[str]] = {}
        for name, labels in parse_day_file((tmp_path / "out" / f"{day}.om").read_text()):
            found.setdefault(name, set()).add(dict(labels)["scope"])
        return found

    before, after = families(old), families(new)
    assert "github_copilot_code_generations" in before  # the day is there, in the old shapes
    assert not set(before) & (NEW_REPORT_METRICS | REPOSITORY_METRICS)
    assert NEW_REPORT_METRICS - set(after) <= {m.PREFIX + "vscode_agent_sessions"}
    for name in REPOSITORY_METRICS:
        assert after[name] == {"nova", "nebula"}, name  # the scopes that opt in, octo not
    # days are fetched concurrently: which days were asked, not in which order
    assert sorted(r.query["day"] for r in github.requests if r.path.endswith("repos-1-day")) == [
        str(old),
        str(old),
        str(new),
        str(new),
    ]


def test_merge_joins_the_day_files_with_one_eof(
    tmp_path: Path, store: StaticStore, github: FakeGitHub
) -> None:
    days = days_back(11, 10)
    for day in days:
        estate(store, day)
    config = write_config(tmp_path / "c.yml", github.api_url, [{"org": "octo"}])
    merged = tmp_path / "out" / "all.om"
    status, _, _ = run(
        [
            "--config.file",
            str(config),
            "--from",
            str(days[0]),
            "--to",
            str(days[1]),
            "--output",
            str(tmp_path / "out"),
            "--merge",
            str(merged),
            *LABELS,
        ]
    )
    assert status == 0
    text = merged.read_text()
    assert text.count("# EOF") == 1 and text.endswith("# EOF\n")
    day_texts = [(tmp_path / "out" / f"{d}.om").read_text().replace("# EOF\n", "") for d in days]
    assert text == "".join(day_texts) + "# EOF\n"


def test_a_day_file_reads_back_as_its_families_in_prometheus_clients_openmetrics_parser() -> None:
    state = ScopeState(
        Scope("organization", "octo", None, "legacy"),
        up=True,
        values=day_values(SEED_EXAMPLE),
        report_day=date(2024, 6, 24),
    )
    odd = {"job": 'co"pilot\\x', "instance": "exporter:9185\nsecond line"}
    stamp = sample_timestamp(date(2024, 6, 24))
    families = writer.day_families([state], stamp, odd)
    text = writer.render([state], stamp, odd).text
    # prometheus-client's own OpenMetrics parser (it has no type hints)
    parsed: list[Metric] = list(openmetrics.text_string_to_metric_families(text))  # type: ignore[no-untyped-call]

    def seconds(sample: Sample) -> float | None:
        return None if sample.timestamp is None else float(sample.timestamp)

    def shape(family: Metric) -> tuple[Any, ...]:
        return (
            family.name,
            family.type,
            family.documentation,
            [(s.name, s.labels, s.value, seconds(s)) for s in family.samples],
        )

    assert [shape(f) for f in parsed] == [shape(f) for f in families]
    assert all(s.labels["job"] == 'co"pilot\\x' for f in parsed for s in f.samples)


def test_a_day_whose_fetch_crashes_fails_every_scope_and_the_other_days_go_on() -> None:
    """The guard lives in fetch_days, so any kind of day source gets it."""
    days = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
    scopes = (Scope("organization", "octo"), Scope("team", "octo", "web"))

    class Billing:  # a second kind of day source, as a billing history would be
        file_tag = "billing"

        def __init__(self) -> None:
            self.scopes = scopes

        async def fetch_day(self, day: date) -> DayOutcome:
            if day == days[1]:
                raise RuntimeError("a bug")
            return DayOutcome(day, tuple(ScopeState(s, up=True, report_day=day) for s in scopes))

    got: list[DayOutcome] = []
    asyncio.run(fetch_days(Billing(), days, got.append))
    by_day = {outcome.day: outcome for outcome in got}
    assert sorted(by_day) == days
    crashed = by_day[days[1]]
    assert crashed.states == () and not crashed.complete
    assert [(s, r) for s, r, _ in crashed.failed] == [(s, "internal_error") for s in scopes]
    assert all(by_day[d].complete and len(by_day[d].states) == 2 for d in (days[0], days[2]))
    # its day files are its own: resumption of the reports does not take them as done
    assert writer.day_file(Path("out"), days[0], "billing") == Path("out/2026-03-01.billing.om")
    assert writer.day_file(Path("out"), days[0]) == Path("out/2026-03-01.om")


# --- legacy archives ----------------------------------------------------------------------


def test_legacy_files_become_day_files_of_their_scope(tmp_path: Path) -> None:
    second = json.loads(json.dumps(SEED_EXAMPLE))
    second["date"] = "2024-06-25"
    second["total_active_users"] = 30
    archive = tmp_path / "octo.json"
    archive.write_text(json.dumps([SEED_EXAMPLE, second]))
    status, summary, _ = run(
        [
            "--output",
            str(tmp_path / "out"),
            *LABELS,
            "--legacy-files",
            f"org:octo={archive}",
            f"org:octo/web={archive}",
        ]
    )
    assert status == 0, summary
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "2024-06-24.legacy.organization.octo.om",
        "2024-06-24.legacy.team.octo.web.om",
        "2024-06-25.legacy.organization.octo.om",
        "2024-06-25.legacy.team.octo.web.om",
    ]
    text = (tmp_path / "out" / names[0]).read_text()
    stamp = sample_timestamp(date(2024, 6, 24))
    assert (
        'github_copilot_ide_code_suggestions{editor="vscode",instance="exporter:9185",'
        'job="copilot",language="python",model="default",scope="octo",'
        f'scope_type="organization"}} 249.0 {stamp}'
    ) in text
    # every value the legacy source's own table gives, and nothing else
    expected = expected_series(
        Scope("organization", "octo", None, "legacy"),
        day_values(SEED_EXAMPLE),
        date(2024, 6, 24),
        {"job": "copilot", "instance": "exporter:9185"},
    )
    assert parse_day_file(text) == {key: {stamp: v} for key, v in expected.items()}
    later = (tmp_path / "out" / names[2]).read_text()
    assert (
        'github_copilot_active_users{instance="exporter:9185",job="copilot",'
        f'scope="octo",scope_type="organization"}} 30.0 {stamp + 86400}' in later
    )


def test_legacy_files_respect_from_and_to(tmp_path: Path) -> None:
    second = {**SEED_EXAMPLE, "date": "2024-06-25"}
    archive = tmp_path / "octo.json"
    archive.write_text(json.dumps([[SEED_EXAMPLE], [second]]))  # saved page by page
    status, _, _ = run(
        [
            "--output",
            str(tmp_path / "out"),
            *LABELS,
            "--from",
            "2024-06-25",
            "--legacy-files",
            f"enterprise:acme={archive}",
        ]
    )
    assert status == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == [
        "2024-06-25.legacy.enterprise.acme.om"
    ]


def test_a_timestamp_date_is_the_same_day_in_backfill_and_in_the_live_legacy_source(
    tmp_path: Path, store: StaticStore, make_exporter: ExporterFactory
) -> None:
    stamped = {**SEED_EXAMPLE, "date": "2024-06-24T00:00:00Z"}  # as some archives hold it
    day = date(2024, 6, 24)
    midnight = float(timegm(day.timetuple()))
    archive = tmp_path / "octo.json"
    archive.write_text(json.dumps([stamped]))
    status, summary, _ = run(
        ["--output", str(tmp_path / "out"), *LABELS, "--legacy-files", f"org:octo={archive}"]
    )
    assert status == 0, summary
    assert [p.name for p in (tmp_path / "out").iterdir()] == [
        "2024-06-24.legacy.organization.octo.om"
    ]
    backfilled = parse_day_file(
        (tmp_path / "out" / "2024-06-24.legacy.organization.octo.om").read_text()
    )
    target = {"job": "copilot", "instance": "exporter:9185"}
    key = (
        "github_copilot_report_day_timestamp_seconds",
        frozenset({"scope": "octo", "scope_type": "organization", **target}.items()),
    )
    assert backfilled[key] == {sample_timestamp(day): midnight}

    store.set_legacy("orgs/octo", [stamped])
    exporter = make_exporter(
        [{"org": "octo", "source": "legacy"}],
        clock=lambda: datetime(2024, 6, 25, 12, tzinfo=UTC),
    )
    exporter.refresh_now()
    live = scrape(exporter).text
    assert live_value(live, "github_copilot_up", scope="octo") == 1
    assert live_value(live, "github_copilot_report_day_timestamp_seconds", scope="octo") == midnight


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("octo.json", "expected SCOPE=FILE"),
        ("octo=octo.json", "expected org:ORG"),
        ("org:octo/*=octo.json", "name one team per file"),
        ("org:octo/web/x=octo.json", "a team slug has no '/'"),
        ("team:web=octo.json", "expected org:ORG"),
    ],
)
def test_a_malformed_legacy_flag_is_refused(
    spec: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse(["--output", str(tmp_path), *LABELS, "--legacy-files", spec])
    assert message in capsys.readouterr().err


def test_an_unreadable_legacy_file_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    archive = tmp_path / "octo.json"
    archive.write_text('{"copilot": "not a day list"')
    status, _, err = run(
        ["--output", str(tmp_path / "out"), *LABELS, "--legacy-files", f"org:octo={archive}"]
    )
    assert status == 2
    assert f"{archive}: not JSON" in err


# --- progress -------------------------------------------------------------------------------


def test_progress_is_a_bar_on_a_terminal_and_log_lines_elsewhere(
    caplog: pytest.LogCaptureFixture,
) -> None:
    terminal = io.StringIO()
    bar = Progress(4, terminal, tty=True, width=8)
    bar.advance(date(2026, 1, 1), "7 scopes")
    assert terminal.getvalue().startswith("\r[##......] 1/4 days")
    bar.finish()
    assert terminal.getvalue().endswith("\n")

    plain = io.StringIO()
    with caplog.at_level(logging.INFO, logger="exporter.backfill"):
        Progress(4, plain, tty=False).advance(date(2026, 1, 1), "7 scopes")
    assert plain.getvalue() == ""
    assert "day 2026-01-01: 7 scopes" in caplog.text


# --- the whole path: backfill -> promtool -> Prometheus, joined with a live scrape ------------


def expected_series(
    scope: Scope,
    values: Mapping[str, Mapping[tuple[str, ...], float]],
    day: date,
    target: Mapping[str, str],
) -> dict[Series, float]:
    """The series a scope's day must give, built from the metric table, not from backfill."""
    index = spec_index()
    scope_labels = (scope.type, scope.name)
    out: dict[Series, float] = {}
    for name, samples in values.items():
        for dims, value in samples.items():
            labels = dict(zip(index[name].all_labels, (*scope_labels, *dims), strict=True))
            out[(name, frozenset({**labels, **target}.items()))] = value
    base = frozenset({"scope_type": scope.type, "scope": scope.name, **target}.items())
    out[("github_copilot_up", base)] = 1.0
    out[("github_copilot_report_day_timestamp_seconds", base)] = float(timegm(day.timetuple()))
    return out


_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+) (\d+)$")
_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
_ESCAPED = re.compile(r"\\(.)")


def parse_day_file(text: str) -> dict[Series, dict[int, float]]:
    """series -> {timestamp: value} of an OpenMetrics day file (label values unescaped)."""
    out: dict[Series, dict[int, float]] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = _LINE.match(line)
        assert match, line
        labels = {
            k: _ESCAPED.sub(lambda e: "\n" if e.group(1) == "n" else e.group(1), v)
            for k, v in _PAIR.findall(match.group(2))
        }
        key = (match.group(1), frozenset(labels.items()))
        out.setdefault(key, {})[int(match.group(4))] = float(match.group(3))
    return out


async def fetch_expected(
    api_url: str, config: Config, days: Sequence[date], target: Mapping[str, str]
) -> dict[date, dict[Series, float]]:
    """What the fake's data gives for each day, asked directly through ReportsSource, with
    the live refresh's cardinality rules (teams get fewer breakdowns by default)."""
    async with GitHubClient(api_url, static_token(TOKEN)) as client:
        source = ReportsSource(client)
        expected: dict[date, dict[Series, float]] = {}
        for day in days:
            series: dict[Series, float] = {}
            for scope, outcome in (await source.fetch(config.scopes, day)).items():
                assert isinstance(outcome, ScopeResult), (day, scope, outcome)
                values = cardinality.apply(
                    config.cardinality, scope.type, outcome.values, scope.dimensions
                )
                series.update(expected_series(scope, values, day, target))
            expected[day] = series
        return expected


def query_range(
    prom: Prometheus, expr: str, start: float, end: float, step: float
) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{prom.url}/api/v1/query_range",
        timeout=30,
        params={"query": expr, "start": start, "end": end, "step": step},
    )
    body = response.json()
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def _away_from_midnight() -> None:
    """The checks tie days to UTC midnights: never straddle one (waits at most 2 minutes)."""
    now = time.time()
    into_day = now % 86400
    if into_day > 86400 - 90 or into_day < 30:
        time.sleep((86400 - into_day + 30) % 86400)


@pytest.fixture
def simulated() -> Iterator[tuple[FakeGitHub, SimulatedStore]]:
    store = SimulatedStore(seed=11, users=60, orgs=2, teams_per_org=2, enterprise_teams=1)
    with FakeGitHub(store, token=TOKEN) as fake:
        yield fake, store


SIMULATED_SCOPES: list[dict[str, Any]] = [
    {"enterprise": "acme"},
    {"enterprise": "acme", "team": "*"},
    {"org": "acme-web", "repositories": {"top": 3}},
    {"org": "acme-web", "team": "*"},
    {"org": "acme-data"},
]
DAY = 86400


@pytest.mark.integration
def test_backfilled_days_and_the_live_scrape_are_one_series_in_prometheus(
    tmp_path: Path, simulated: tuple[FakeGitHub, SimulatedStore]
) -> None:
    binaries = require_binaries()
    _away_from_midnight()
    fake, _store = simulated
    config_path = write_config(tmp_path / "c.yml", fake.api_url, SIMULATED_SCOPES)
    config = config_mod.load(config_path, {"GITHUB_TOKEN": TOKEN})
    exporter = Exporter(config, listen=("127.0.0.1", 0), client_options=FAST)
    exporter.serve()  # first: its address is the instance label the backfill must carry
    try:
        instance = f"127.0.0.1:{exporter.port}"
        target = {"job": "copilot", "instance": instance}
        today = yesterday() + timedelta(days=1)
        # 30 days ending the day before yesterday: yesterday is the live exporter's day, so
        # the newest point can only come from the scrape.
        first, last = today - timedelta(days=31), today - timedelta(days=2)
        out = tmp_path / "backfill"
        status, summary, _ = run(
            [
                "--config.file",
                str(config_path),
                "--from",
                str(first),
                "--to",
                str(last),
                "--output",
                str(out),
                "--merge",
                str(out / "all.om"),
                "--label",
                "job=copilot",
                "--label",
                f"instance={instance}",
            ]
        )
        assert status == 0, summary
        assert "reports: 30 days asked, 30 written" in summary

        tsdb = tmp_path / "prometheus" / "data"
        promtool = subprocess.run(
            [
                binaries.promtool,
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                str(out / "all.om"),
                str(tsdb),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert promtool.returncode == 0, promtool.stdout + promtool.stderr

        exporter.refresh_now()
        live_from = time.time()
        with running_prometheus(
            binaries, tmp_path / "prometheus", {"copilot": [instance]}, [], tsdb_path=tsdb
        ) as prom:
            wait_until(
                lambda: len(prom.query('github_copilot_up{job="copilot"} == 1')) >= 5,
                timeout=30,
                what="the live exporter to be scraped",
                process=prom.process,
            )
            days = [first + timedelta(days=i) for i in range(31)]  # ... up to yesterday
            expected = asyncio.run(fetch_expected(fake.api_url, config, days, target))
            now = time.time()
            _check_every_backfilled_sample(prom, expected, days[:-1], now, live_from)
            _check_the_dashboard_line(prom, expected, today, now, live_from)
            _check_live_labels_are_the_backfilled_ones(prom, expected[days[-1]])
    finally:
        exporter.stop()


def _check_every_backfilled_sample(
    prom: Prometheus,
    expected: Mapping[date, Mapping[Series, float]],
    days: Sequence[date],
    now: float,
    live_from: float,
) -> None:
    """Each backfilled day: every series at its timestamp with exactly the fake's value."""
    stored: dict[Series, dict[int, float]] = {}
    raw = prom.query('{job="copilot", scope!=""}[40d]', at=now)
    for series in raw:
        labels = dict(series["metric"])
        name = labels.pop("__name__")
        key = (name, frozenset(labels.items()))
        for stamp, value in series["values"]:
            if stamp < live_from - 5:  # the scrape's own samples come later
                stored.setdefault(key, {})[round(stamp)] = float(value)
    want: dict[Series, dict[int, float]] = {}
    for day in days:
        for key, value in expected[day].items():
            want.setdefault(key, {})[sample_timestamp(day)] = value
    assert stored.keys() == want.keys()
    for key, samples in want.items():
        assert stored[key] == samples, key


def _check_the_dashboard_line(
    prom: Prometheus,
    expected: Mapping[date, Mapping[Series, float]],
    today: date,
    now: float,
    live_from: float,
) -> None:
    """``last_over_time(x[1d])`` at a 1d step is one line, no gap, live at the end; at
    00:00-aligned steps (Grafana's) day D shows at D+2 00:00, as the live exporter shows it."""
    selector = 'github_copilot_daily_active_users{job="copilot",scope="acme"}'
    key = next(
        k
        for k in expected[today - timedelta(days=1)]
        if k[0] == "github_copilot_daily_active_users" and ("scope", "acme") in k[1]
    )

    def value(day: date) -> float:
        return expected[day][key]

    line = query_range(prom, f"last_over_time({selector}[1d])", now - 30 * DAY, now, DAY)
    assert len(line) == 1, [s["metric"] for s in line]
    assert line[0]["metric"] == {
        "__name__": "github_copilot_daily_active_users",
        "job": "copilot",
        "instance": dict(key[1])["instance"],
        "scope": "acme",
        "scope_type": "enterprise",
    }
    points = line[0]["values"]
    assert [round(p[0]) for p in points] == [round(now - k * DAY) for k in range(30, -1, -1)]
    # step k days before now shows day (today - k - 1) from the blocks; the last one is live
    want = [value(today - timedelta(days=k + 1)) for k in range(30, 0, -1)]
    assert [float(p[1]) for p in points[:-1]] == want
    assert float(points[-1][1]) == value(today - timedelta(days=1))
    newest = prom.query(f"{selector}[1d]", at=now)[0]["values"][-1]
    assert newest[0] >= live_from - 5  # the newest point is the scrape's, not the backfill's

    midnight = timegm(today.timetuple())
    aligned = query_range(
        prom, f"last_over_time({selector}[1d])", midnight - 28 * DAY, midnight, DAY
    )
    assert len(aligned) == 1
    for stamp, got in aligned[0]["values"]:
        shown = datetime.fromtimestamp(stamp, UTC).date() - timedelta(days=2)
        assert float(got) == value(shown), shown


def _check_live_labels_are_the_backfilled_ones(
    prom: Prometheus, yesterday: Mapping[Series, float]
) -> None:
    """The scrape's scope series carry exactly the labels the backfill writes."""
    live: dict[Series, float] = {}
    for series in prom.query('{job="copilot", scope!=""}'):
        labels = dict(series["metric"])
        name = labels.pop("__name__")
        if name.endswith(("last_success_timestamp_seconds", "refresh_duration_seconds")):
            continue
        live[(name, frozenset(labels.items()))] = float(series["value"][1])
    assert live == dict(yesterday)
