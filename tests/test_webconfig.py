"""``--web.config.file``: every bad shape exits 2 before listening, with the path of each
problem; basic auth does not tell known user names from unknown ones by its timing."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import httpx
import pytest

from exporter import config as config_mod
from exporter import webconfig
from exporter.app import Exporter
from exporter.config import ConfigError
from exporter.fakegithub import FakeGitHub
from tests.helpers import TOKEN, self_signed_certificate

HASH = "$2b$04$" + "a" * 53  # well-formed; never matches anything


def serve(web_file: Path, config_file: Path, port: int = 9) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "exporter",
            "--config.file",
            str(config_file),
            "--web.config.file",
            str(web_file),
            "--web.listen-address",
            f"127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GITHUB_TOKEN": TOKEN},
        check=False,
    )


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yml"
    path.write_text("github: {api_url: 'http://127.0.0.1:9'}\nscopes: [{org: octo}]\n")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "basic_auth_users: [x]\n",
            ["basic_auth_users: expected a mapping of user name to bcrypt hash, got a list"],
        ),
        (
            "tls_server_config: yes\n",
            [
                "tls_server_config: expected a mapping of cert_file, client_auth_type, "
                "client_ca_file, key_file, min_version, got true"
            ],
        ),
        (
            "- tls_server_config\n",
            [
                "expected a mapping of basic_auth_users, tls_server_config, "
                "got ['tls_server_config']"
            ],
        ),
        (
            "tls_server_config: {cert_file: [a], key_file: 7, min_version: TLS10}\n",
            [
                "tls_server_config.cert_file: expected a file path, got ['a']",
                "tls_server_config.key_file: expected a file path, got 7",
                "tls_server_config.min_version: must be one of TLS12, TLS13, got 'TLS10'",
                "tls_server_config: needs both cert_file and key_file",
            ],
        ),
        (
            f"basic_auth_users: {{'a:b': '{HASH}', c: {{x: 1}}, 12: '{HASH}', d: hunter2}}\n",
            [
                "basic_auth_users.a:b: a user name cannot contain ':' (Basic auth splits on it)",
                "basic_auth_users.c: expected a bcrypt hash (htpasswd -nBC 10 USER), not a "
                "plain password",
                "basic_auth_users.d: expected a bcrypt hash (htpasswd -nBC 10 USER), not a "
                "plain password",
            ],
        ),
        ("a: &x 1\nb: *x\n", ["line 2, column 4: invalid YAML: aliases (*name) are not supported"]),
    ],
)
def test_bad_web_config_exits_2_before_listening_with_each_path(
    tmp_path: Path, config_file: Path, text: str, expected: list[str]
) -> None:
    web_file = tmp_path / "web.yml"
    web_file.write_text(text)
    result = serve(web_file, config_file)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "invalid web configuration:"
    for line, want in zip(lines[1:], expected, strict=True):
        assert line.startswith(f"{web_file}: {want}"), lines
    assert "hunter2" not in result.stderr  # a "hash" that is not one is likely a password
    assert "listening" not in result.stderr


def test_web_config_and_config_problems_are_reported_together(tmp_path: Path) -> None:
    web_file, bad_config = tmp_path / "web.yml", tmp_path / "config.yml"
    web_file.write_bytes(b"basic_auth_users: {prom: \xff}\n")
    bad_config.write_text("scopes: [{org: octo}]\nrefresh: {interval: .inf}\n")
    result = serve(web_file, bad_config)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "invalid web configuration:",
        f"{web_file}: the file is not UTF-8 text (byte 0xff at offset 25)",
        "invalid configuration:",
        f"{bad_config}: refresh.interval: expected a duration like 30s, 15m or 1h, got inf",
    ]


def test_tls_files_that_cannot_be_loaded_are_problems(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    (tmp_path / "ca.pem").write_text("not a certificate")
    raw = {
        "tls_server_config": {
            "cert_file": cert.name,
            "key_file": key.name,
            "client_auth_type": "RequireAndVerifyClientCert",
            "client_ca_file": "ca.pem",
        }
    }
    with pytest.raises(ConfigError) as info:
        webconfig.build(raw, tmp_path, "web.yml")
    assert [p.split(":")[0] for p in info.value.problems] == ["tls_server_config.client_ca_file"]
    raw["tls_server_config"]["client_ca_file"] = cert.name
    assert webconfig.build(raw, tmp_path).ssl_context is not None
    raw["tls_server_config"]["key_file"] = "ca.pem"
    with pytest.raises(
        ConfigError, match=re.escape("tls_server_config: cannot load tls.crt / ca.pem")
    ):
        webconfig.build(raw, tmp_path)


@pytest.fixture
def guarded(github: FakeGitHub, tmp_path: Path) -> Iterator[str]:
    """An exporter behind basic auth at bcrypt cost 10 (user ``prom``, password ``s3cret``);
    yields its base URL."""
    web_file = tmp_path / "web.yml"
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=10)).decode()
    web_file.write_text(f"basic_auth_users:\n  prom: '{hashed}'\n")
    cfg = config_mod.build(
        {"github": {"api_url": github.api_url}, "scopes": [{"org": "octo"}]},
        {"GITHUB_TOKEN": TOKEN},
    )
    exporter = Exporter(cfg, listen=("127.0.0.1", 0), web=webconfig.load(web_file))
    exporter.serve()
    try:
        yield f"http://127.0.0.1:{exporter.port}/metrics"
    finally:
        exporter.stop()


def _timed(client: httpx.Client, url: str, auth: tuple[str, str] | None) -> tuple[int, float]:
    started = time.perf_counter()
    status = client.get(url, auth=auth).status_code
    return status, time.perf_counter() - started


def test_an_unknown_user_takes_as_long_as_a_wrong_password(guarded: str) -> None:
    # A 401 without credentials costs no bcrypt: it is the baseline every time is measured
    # from (a 401 has its own small delay on loopback, the same for every user).
    cases: dict[str, tuple[list[float], int]] = {
        "none": ([], 401),
        "known": ([], 401),
        "unknown": ([], 401),
        "cached": ([], 200),
    }
    with httpx.Client(timeout=10) as client:
        assert _timed(client, guarded, ("prom", "s3cret"))[0] == 200  # fills the cache
        for attempt in range(7):
            for case, auth in [
                ("none", None),
                ("known", ("prom", f"wrong{attempt}")),
                ("unknown", (f"eve{attempt}", "s3cret")),
                ("cached", ("prom", "s3cret")),
            ]:
                times, expected = cases[case]
                status, took = _timed(client, guarded, auth)
                assert status == expected, case
                times.append(took)
    base, known, unknown, cached = (statistics.median(t) for t, _ in cases.values())
    assert known - base > 0.01, cases  # bcrypt at cost 10 ran
    assert unknown - base >= 0.5 * (known - base), cases
    # A verified pair is remembered: no bcrypt for a scrape with the right password.
    assert cached - base < 0.5 * (known - base), cases
