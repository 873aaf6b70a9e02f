"""Config: the documented shape works; every problem is reported at once with its path."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from exporter.config import ConfigError, Scope, build, load, parse_duration

DOCUMENTED = """
github:
  api_url: https://api.github.com   # or https://api.SUBDOMAIN.ghe.com
  # token from env GITHUB_TOKEN, or token_file: /run/secrets/github-token
source: reports                      # or legacy (a later issue fills it in)
scopes:
  - enterprise: acme
  - enterprise: acme
    team: platform                   # enterprise team
  - org: octo
  - org: octo
    team: web                        # "*" = every team in that day's user-teams report
"""


def test_the_documented_shape_gives_all_four_scope_types(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text(DOCUMENTED)
    config = load(path, {"GITHUB_TOKEN": "x" * 20})
    assert config.scopes == (
        Scope("enterprise", "acme"),
        Scope("enterprise_team", "acme", "platform"),
        Scope("organization", "octo"),
        Scope("team", "octo", "web"),
    )
    assert [s.name for s in config.scopes] == ["acme", "acme/platform", "octo", "octo/web"]
    assert config.refresh.interval == 3600 and config.refresh.cron is None
    assert config.github.token == "x" * 20


def test_every_problem_is_reported_at_once_with_its_path() -> None:
    raw = {
        "github": {"api_url": "ftp:/nope", "timeout": "soon", "tokn": 1},
        "source": "magic",
        "scopes": [
            {"org": "octo"},
            {"team": "web"},
            {"org": "a", "enterprise": "b"},
            "octo",
            {"org": "octo"},
            {"org": "x", "team": "a/b"},
        ],
        "refresh": {"cron": "every hour"},
    }
    with pytest.raises(ConfigError) as info:
        build(raw, {}, "config.yml")
    text = str(info.value)
    for expected in [
        "config.yml: github.api_url: expected https://api.github.com",
        "config.yml: github.timeout: expected a duration",
        "config.yml: github.tokn: unknown key",
        "config.yml: source: must be one of reports, legacy",
        "config.yml: scopes[1]: 'team' needs 'org' or 'enterprise'",
        "config.yml: scopes[2]: give either 'enterprise' or 'org', not both",
        "config.yml: scopes[3]: expected a mapping",
        "config.yml: scopes[4]: duplicates scopes[0]",
        "config.yml: scopes[5].team: a team slug has no '/'",
        "config.yml: refresh.cron: invalid cron expression",
    ]:
        assert expected in text, text
    assert len(info.value.problems) == 10


def test_environment_overrides_and_token_file(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("ghp_fromfile\n")
    config = build(
        {"github": {"token_file": str(secret)}},
        {
            "COPILOT_EXPORTER_SCOPES": "org:octo org:octo/* enterprise:acme/platform",
            "COPILOT_EXPORTER_SOURCE": "legacy",
            "COPILOT_EXPORTER_REFRESH_CRON": "15 * * * *",
            "GITHUB_API_URL": "https://api.acme.ghe.com/",
        },
    )
    assert config.github.token == "ghp_fromfile"
    assert config.github.api_url == "https://api.acme.ghe.com"
    assert config.refresh.cron == "15 * * * *"
    assert [(s.type, s.name, s.source) for s in config.scopes] == [
        ("organization", "octo", "legacy"),
        ("team", "octo/*", "legacy"),
        ("enterprise_team", "acme/platform", "legacy"),
    ]


def test_token_in_the_file_is_refused_and_never_echoed() -> None:
    with pytest.raises(ConfigError) as info:
        build({"github": {"token": "ghp_secretvalue123"}, "scopes": [{"org": "o"}]}, {})
    assert "GITHUB_TOKEN" in str(info.value)
    assert "ghp_secretvalue123" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("30s", 30), ("15m", 900), ("1h", 3600), ("1d", 86400), (5, 5)],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exporter", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or {"PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_bad_config_exits_2_before_listening(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("scopes:\n  - team: web\n  - org: [1]\nrefresh: {interval: 1s}\n")
    result = _run("--config.file", str(path), "--web.listen-address", "127.0.0.1:1")
    assert result.returncode == 2, result.stderr
    assert f"{path}: scopes[0]: 'team' needs 'org' or 'enterprise'" in result.stderr
    assert f"{path}: scopes[1].org: expected a non-empty string" in result.stderr
    assert f"{path}: refresh.interval: must be >= 10" in result.stderr
    assert "listening" not in result.stderr


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("scopes:\n  - org: octo\n   team: [\n")
    result = _run("check-config", "--config.file", str(path))
    assert result.returncode == 2
    assert "invalid YAML" in result.stderr and "line " in result.stderr


def test_check_config_prints_the_resolved_scopes(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text(DOCUMENTED.replace("team: web", 'team: "*"'))
    result = _run(
        "check-config",
        "--config.file",
        str(path),
        env={"PATH": "/usr/bin:/bin", "GITHUB_TOKEN": "ghp_x" * 5},
    )
    assert result.returncode == 0, result.stderr
    assert "enterprise_team acme/platform via reports" in result.stdout
    assert "team octo/* via reports (every team in the user-teams report)" in result.stdout
    assert "ghp_x" not in result.stdout


def test_config_without_credentials_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text(DOCUMENTED)
    result = _run("check-config", "--config.file", str(path))
    assert result.returncode == 2
    assert "no credentials: set GITHUB_TOKEN" in result.stderr


def test_version_flag() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("copilot-exporter ")


# Holes found by review: every bad shape is a problem with its path, never a silent
# reinterpretation, a crash later, or a traceback.


def _problems(raw: dict[str, object], env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        build({"scopes": [{"org": "octo"}], **raw}, env or {}, "config.yml")
    return info.value.problems


def test_a_string_where_a_list_belongs_is_an_error_not_its_characters() -> None:
    problems = _problems(
        {"cardinality": {"dimensions": {"model": {"deny": "gpt-4", "allow": "claude"}}}}
    )
    assert sorted(problems) == [
        "cardinality.dimensions.model.allow: expected a list of strings, got 'claude'",
        "cardinality.dimensions.model.deny: expected a list of strings, got 'gpt-4'",
    ]
    rules = build(
        {
            "scopes": [{"org": "octo"}],
            "cardinality": {"dimensions": {"model": {"deny": ["gpt-4"], "allow": ["claude"]}}},
        },
        {},
    ).cardinality.dimensions
    assert rules["model"].deny == frozenset({"gpt-4"})
    assert rules["model"].allow == frozenset({"claude"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"cardinality": {"max_series": True}}, "cardinality.max_series: expected a whole number"),
        ({"cardinality": {"max_series": 2.5}}, "cardinality.max_series: expected a whole number"),
        ({"cardinality": {"max_series": 10**40}}, "cardinality.max_series: expected a whole"),
        ({"github": {"concurrency": 2.5}}, "github.concurrency: expected a whole number between"),
        ({"github": {"max_retries": False}}, "github.max_retries: expected a whole number"),
        ({"github": {"timeout": True}}, "github.timeout: expected a duration like 30s"),
        ({"github": {"concurrency": "8"}}, "github.concurrency: expected a whole number"),
        ({"refresh": {"interval": float("nan")}}, "refresh.interval: expected a duration"),
        ({"refresh": {"interval": float("inf")}}, "refresh.interval: expected a duration"),
        ({"refresh": {"interval": "9" * 400 + "d"}}, "refresh.interval: expected a duration"),
        ({"refresh": {"interval": "400d"}}, "refresh.interval: must be <= 366d"),
        ({"seats": {"interval": -float("inf")}}, "seats.interval: expected a duration"),
        ({"seats": {"enabled": "yes"}}, "seats.enabled: expected true or false, got 'yes'"),
        ({"refresh": {"cron": 15}}, "refresh.cron: expected a crontab line"),
        ({"source": ["reports"]}, "source: must be one of reports, legacy, got ['reports']"),
        ({"seats": ["enabled"]}, "seats: expected a mapping of enabled, interval, got"),
        ({"cardinality": {"dimensions": ["model"]}}, "cardinality.dimensions: expected a map"),
        (
            {"cardinality": {"breakdowns": {"team": "editor"}}},
            "cardinality.breakdowns.team: expected",
        ),
        ({"github": {"app": {"app_id": 1.0}}}, "github.app.app_id: expected a whole number"),
        ({"github": {"app": {}}}, "github.app.private_key_file: missing: the App's private"),
        ({"state_file": ["x"]}, "state_file: expected a file path, got ['x']"),
        ({"github": {"token_file": "a\0b"}}, "github.token_file: expected a file path"),
        (
            {1: "x"},
            "1: unknown key (allowed: billing, cardinality, github, limits, refresh, scopes, seats",
        ),
    ],
)
def test_wrong_types_are_problems_with_their_path(raw: dict[Any, object], expected: str) -> None:
    problems = _problems(raw)
    assert any(p.startswith(expected) for p in problems), problems


def test_environment_values_are_checked_and_name_their_variable() -> None:
    problems = _problems(
        {},
        {
            "COPILOT_EXPORTER_SEATS": "maybe",
            "COPILOT_EXPORTER_REFRESH_INTERVAL": "nan",
            "COPILOT_EXPORTER_SOURCE": "magic",
            "GITHUB_TOKEN": "two words",
        },
    )
    assert sorted(problems) == [
        "github.token (env GITHUB_TOKEN): expected a GitHub token: one line of printable ASCII "
        "(value not shown)",
        "refresh.interval (env COPILOT_EXPORTER_REFRESH_INTERVAL): expected a duration like "
        "30s, 15m or 1h, got 'nan'",
        "seats.enabled (env COPILOT_EXPORTER_SEATS): expected true or false, got 'maybe'",
        "source (env COPILOT_EXPORTER_SOURCE): must be one of reports, legacy, got 'magic'",
    ]


def test_an_empty_value_means_the_default() -> None:
    config = build(
        {"scopes": [{"org": "octo"}], "github": None, "refresh": {"interval": None}, "seats": {}},
        {"COPILOT_EXPORTER_SEATS": "", "GITHUB_API_URL": " "},
    )
    assert config.refresh.interval == 3600
    assert config.github.api_url == "https://api.github.com"
    assert config.seats.enabled is True


def test_a_token_file_that_is_not_utf8_is_a_problem_with_its_path(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_bytes(b"\xffghp_x")
    problems = _problems({"github": {"token_file": str(secret)}})
    assert problems == [f"github.token_file: {secret} is not UTF-8 text (byte 0xff at offset 0)"]
    secret.write_bytes(b"ghp_one\nghp_two\n")  # would go into a header as two lines
    problems = _problems({"github": {"token_file": str(secret)}})
    assert problems == [
        "github.token_file: expected a GitHub token: one line of printable ASCII (value not shown)"
    ]


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 "lol"']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yml"
    path.write_text(billion_laughs())
    started = time.monotonic()
    with pytest.raises(ConfigError) as info:
        load(path, {})
    assert time.monotonic() - started < 0.5
    assert info.value.problems == [
        "line 2, column 10: invalid YAML: aliases (*name) are not supported: write the value out"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cardinality: {max_series: 1" + "0" * 5000 + "}\n", "invalid YAML: Exceeds the limit"),
        ("scopes: " + "[" * 5000 + "\n", "invalid YAML: nested too deeply"),
        ("refresh: {interval: !!timestamp 2024-13-45}\n", "invalid YAML: month must be in"),
        ("github: !!python/object:os.system {}\n", "line 1, column 9: invalid YAML: could not"),
    ],
)
def test_yaml_that_python_cannot_hold_is_a_problem(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "config.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load(path, {})
    assert info.value.problems[0].startswith(expected), info.value.problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "refresh: {interval: .nan}",
            "refresh.interval: expected a duration like 30s, 15m or 1h, got nan",
        ),
        (
            "refresh: {interval: .inf}",
            "refresh.interval: expected a duration like 30s, 15m or 1h, got inf",
        ),
        (
            "github: {timeout: -.inf}",
            "github.timeout: expected a duration like 30s, 15m or 1h, got -inf",
        ),
        (
            "seats: {interval: .NaN}",
            "seats.interval: expected a duration like 30s, 15m or 1h, got nan",
        ),
    ],
)
def test_nan_and_infinity_fail_check_config_with_their_path(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "config.yml"
    path.write_text(f"scopes: [{{org: octo}}]\n{text}\n")
    result = _run(
        "check-config",
        "--config.file",
        str(path),
        env={"PATH": "/usr/bin:/bin", "GITHUB_TOKEN": "ghp_x" * 5},
    )
    assert result.returncode == 2, result.stdout
    assert f"{path}: {expected}" in result.stderr.splitlines()
    assert "Traceback" not in result.stderr


def test_files_that_are_not_utf8_or_hold_an_alias_bomb_fail_check_config(tmp_path: Path) -> None:
    config, token, bomb = tmp_path / "config.yml", tmp_path / "token", tmp_path / "bomb.yml"
    config.write_bytes(b"scopes: [{org: caf\xe9}]\n")
    token.write_bytes(b"\xfe\xff")
    bomb.write_text(billion_laughs())
    env = {"PATH": "/usr/bin:/bin", "GITHUB_TOKEN_FILE": str(token)}
    results = [
        _run("check-config", "--config.file", str(config)),
        _run("check-config", "--config.file", str(bomb)),
        _run("check-config", env={**env, "COPILOT_EXPORTER_SCOPES": "org:octo"}),
    ]
    assert [r.returncode for r in results] == [2, 2, 2]
    assert all("Traceback" not in r.stderr for r in results)
    assert f"{config}: the file is not UTF-8 text (byte 0xe9 at offset 18)" in results[0].stderr
    assert f"{bomb}: line 2, column 10: invalid YAML: aliases" in results[1].stderr
    assert f"environment: github.token_file: {token} is not UTF-8 text" in results[2].stderr
