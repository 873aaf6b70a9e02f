"""Helpers every test module may import: the test token, scraping, reading samples, the
exposition as golden files hold it, a TLS certificate, a GitHub App key. Fixtures live in
conftest.py; no test module imports another test module."""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from exporter import metrics as m

if TYPE_CHECKING:
    from exporter.app import Exporter, SourceFactory
    from exporter.source import Clock

TOKEN = "ghp_TestTokenThatMustNeverLeak0123456789"


@dataclass(frozen=True)
class AppKey:
    """A GitHub App's RSA key: the private PEM the exporter reads, the public one the fake
    verifies JWTs with."""

    pem: bytes
    public: bytes

    @property
    def lines(self) -> list[str]:
        """Every line of the key's body: none may show up anywhere, not even alone."""
        return [line for line in self.pem.decode().splitlines() if "PRIVATE KEY" not in line]

    @classmethod
    def generate(cls) -> AppKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(pem, public)


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


Answer = Callable[["HostileHandler", threading.Event], None]
"""How a :class:`Hostile` server answers: writes to the handler; loops end when the event is
set (the server stops) or after their own bound."""


class HostileHandler(BaseHTTPRequestHandler):
    server: _HostileServer
    protocol_version = "HTTP/1.0"  # a body without length ends when the connection does

    def do_GET(self) -> None:
        srv = self.server
        with srv.lock:
            srv.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        try:
            srv.answer(self, srv.stopped)
        except OSError:  # the client hung up: what a hostile answer often gets
            self.close_connection = True

    def do_POST(self) -> None:
        self.do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent."""


class _HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str]]] = []
        super().__init__(("127.0.0.1", 0), HostileHandler)


class Hostile:
    """A loopback HTTP server of a test's own that misbehaves on purpose (a trickle, a
    redirect loop, a token thief); it records each request's path and headers."""

    def __init__(self, answer: Answer) -> None:
        self._server = _HostileServer(answer)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="hostile", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[tuple[str, dict[str, str]]]:
        with self._server.lock:
            return list(self._server.requests)

    def stop(self) -> None:
        self._server.stopped.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def trickle(handler: HostileHandler, stopped: threading.Event) -> None:
    """200, then one byte every 50 ms: never a read timeout, never the end (60 s at most)."""
    handler.send_response(200)
    handler.send_header("content-type", "application/x-ndjson")
    handler.end_headers()
    for _ in range(1200):
        if stopped.wait(0.05):
            return
        handler.wfile.write(b" ")
        handler.wfile.flush()


def answer_with(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
    """A fixed answer."""

    def answer(handler: HostileHandler, _stopped: threading.Event) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("content-length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer
