"""Config: the documented shape works; every problem is reported at once with its path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
