"""Helpers every test module may import: the test token, scraping, reading samples, the
exposition as golden files hold it, a TLS certificate. Fixtures live in conftest.py; no test
module imports another test module."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from exporter import metrics as m

if TYPE_CHECKING:
    from exporter.app import Exporter, SourceFactory
    from exporter.source import Clock

TOKEN = "ghp_TestTokenThatMustNeverLeak0123456789"

# Every report metric of the surfaces GitHub added after the first release (API.md section
# 5), repositories apart (the seats one is tested with the seats).
NEW_REPORT_METRICS = frozenset(
    [m.PREFIX + u.metric for u in m.SURFACE_USERS]
    + [m.PREFIX + metric for o in m.SURFACE_OBJECTS[1:] for _, metric, _ in o.fields]
    + [m.PREFIX + metric for _, metric, _ in m.THIRD_PARTY_FIELDS]
    + [m.THIRD_PARTY_INFO, m.ADOPTION_USERS, m.ADOPTION_AVERAGE]
    + [m.PREFIX + c.metric for c in m.CLI_CUSTOMISATIONS]
    + [m.PREFIX + c.distinct_metric for c in m.CLI_CUSTOMISATIONS]
)
REPOSITORY_METRICS = frozenset(
    spec.name for spec in m.all_specs() if spec.name.startswith(m.PREFIX + "repository_")
)

Golden = Callable[[str, str], None]
"""The ``golden`` fixture: ``golden(name, text)`` compares with ``tests/golden/<name>``."""


class ExporterFactory(Protocol):
    """The ``make_exporter`` fixture: a served exporter for a list of scopes."""

    def __call__(
        self,
        scopes: list[dict[str, Any]],
        *,
        sources: SourceFactory = ...,
        clock: Clock = ...,
        **config: Any,
    ) -> Exporter: ...


def yesterday() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """``tls.crt`` and ``tls.key`` in ``directory``: a day-long certificate for 127.0.0.1, so a
    client that trusts the certificate file verifies a loopback server."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "tls.crt", directory / "tls.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def scrape(exporter: Exporter, path: str = "/metrics", **headers: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{exporter.port}{path}", headers=headers, timeout=10)


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$")


def samples(body: str) -> dict[str, float]:
    """``name{labels}`` -> value for every sample line of a text exposition."""
    out: dict[str, float] = {}
    for line in body.splitlines():
        match = _SAMPLE.match(line)
        if match and not line.startswith("#"):
            out[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return out


def value(body: str, name: str, **labels: str) -> float | None:
    """The value of the one sample of ``name`` whose labels include ``labels``."""
    found = [
        v
        for key, v in samples(body).items()
        if key.split("{", 1)[0] == name and all(f'{k}="{val}"' in key for k, val in labels.items())
    ]
    assert len(found) <= 1, f"{name}{labels} matches {len(found)} samples"
    return found[0] if found else None


_VOLATILE = re.compile(
    r"^(github_copilot_(last_success_timestamp_seconds|last_failure_timestamp_seconds|"
    r"refresh_duration_seconds|rate_limit_\w+|report_day_timestamp_seconds)\{.*\}) \S+$"
)
_LIVE = (
    "process_",
    "python_",
    "github_copilot_api_re",
    "github_copilot_refreshes",
    "github_copilot_report_download_bytes",
    "github_copilot_rate_limit",
    "github_copilot_exporter_build",
)


def normalise(body: str) -> str:
    """The exposition without process metrics, with time-dependent values masked: what a
    golden file holds."""
    kept = []
    for line in body.splitlines():
        name = line.removeprefix("# HELP ").removeprefix("# TYPE ")
        if name.startswith(_LIVE):
            continue
        kept.append(_VOLATILE.sub(r"\1 <volatile>", line))
    return "\n".join(kept) + "\n"
