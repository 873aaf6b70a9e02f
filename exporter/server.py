"""HTTP: ``/metrics`` from the snapshot, a landing page, and health endpoints.

The snapshot's exposition is rendered once per snapshot and format and then served as
bytes (gzip included), so a scrape costs a dictionary lookup plus the few live status
series, never a walk over every series and never a call to GitHub.
"""

from __future__ import annotations

import html
import logging
import socket
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client import exposition as text_format
from prometheus_client.openmetrics import exposition as om_format

from exporter import __version__
from exporter.logs import redact
from exporter.snapshot import ScopeState, Snapshot, SnapshotHolder
from exporter.webconfig import OPEN_PATHS, WebConfig

log = logging.getLogger(__name__)

TEXT = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
_EOF = b"# EOF\n"


@dataclass(frozen=True)
class _Rendered:
    """One format of one snapshot: plain bytes, and gzip bytes with the open compressor.

    The compressor is flushed but not finished, so a scrape copies it, compresses the few
    live lines and finishes: one valid gzip stream without recompressing the snapshot.
    """

    plain: bytes
    gzip_head: bytes
    compressor: Any  # zlib.Compress (not nameable in typeshed)


class Exposition:
    """Renders ``/metrics`` bodies: the snapshot part once per snapshot, live part fresh.

    The refresh job calls :meth:`prepare` after each swap, so the new snapshot is rendered
    in that thread while scrapes keep getting the previous rendering; a scrape renders only
    when nothing has been rendered for the current snapshot at all (at start).
    """

    def __init__(
        self,
        holder: SnapshotHolder,
        snapshot_registry: CollectorRegistry,
        live_registry: CollectorRegistry,
    ) -> None:
        self._holder = holder
        self._snapshot_registry = snapshot_registry
        self._live_registry = live_registry
        self._cache: dict[bool, tuple[int, _Rendered]] = {}
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Render the current snapshot in both formats (called after each refresh)."""
        with self._lock:  # one render at a time; scrapes do not take this lock
            snapshot = self._holder.current
            for openmetrics in (False, True):
                cached = self._cache.get(openmetrics)
                if cached is None or cached[0] != snapshot.generation:
                    self._cache[openmetrics] = (snapshot.generation, self._render(openmetrics))
            self.ready = self.ready or snapshot.ready

    ready = False
    """Whether ``/metrics`` serves a rendering of a finished refresh (``/readyz``)."""

    def _render(self, openmetrics: bool) -> _Rendered:
        plain = _render(self._snapshot_registry, openmetrics)
        if openmetrics:
            plain = plain.removesuffix(_EOF)
        compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        head = compressor.compress(plain) + compressor.flush(zlib.Z_SYNC_FLUSH)
        return _Rendered(plain, head, compressor)

    def _snapshot_part(self, openmetrics: bool) -> _Rendered:
        cached = self._cache.get(openmetrics)
        if cached is None:
            self.prepare()
            cached = self._cache[openmetrics]
        return cached[1]

    def render(self, *, openmetrics: bool, compressed: bool) -> bytes:
        live = _render(self._live_registry, openmetrics)
        head = self._snapshot_part(openmetrics)
        if compressed:
            tail = head.compressor.copy()
            return head.gzip_head + bytes(tail.compress(live) + tail.flush())
        return head.plain + live


def _render(registry: CollectorRegistry, openmetrics: bool) -> bytes:
    if openmetrics:
        return bytes(om_format.generate_latest(registry))  # type: ignore[no-untyped-call]
    return text_format.generate_latest(registry)


def wants_openmetrics(accept: str) -> bool:
    return "application/openmetrics-text" in accept


def _ts(value: float | None) -> str:
    if value is None:
        return "never"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _status(state: ScopeState) -> str:
    return "up" if state.up else f"down ({state.reason})"


DEMO_BANNER = (
    '<p class="demo"><strong>Demo mode:</strong> these are simulated data from the '
    "exporter's built-in fake GitHub, not your organization's. Pass <code>--config.file"
    "</code> or set <code>GITHUB_TOKEN</code> to read GitHub.</p>"
)


def landing_page(snapshot: Snapshot, telemetry_path: str, *, demo: bool = False) -> bytes:
    rows = []
    seats = {state.scope: state for state in snapshot.seats}
    billing = {state.scope: state for state in snapshot.billing}
    for state in snapshot.scopes:
        seat = seats.get(state.scope)
        spend = billing.get(state.scope)
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(cell))}</td>"
                for cell in (
                    state.scope.type,
                    state.scope.name,
                    state.scope.source,
                    _status(state),
                    state.report_day or "none",
                    _ts(state.last_success),
                    redact(state.error or ""),
                    _status(seat) if seat else "–",
                    _status(spend) if spend else "–",
                )
            )
            + "</tr>"
        )
    table = "\n".join(rows) or '<tr><td colspan="9">first refresh not finished yet</td></tr>'
    path = html.escape(telemetry_path)
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>GitHub Copilot Exporter</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}
.demo{{background:#fff3cd;border:1px solid #e0a800;padding:.6em}}</style></head>
<body><h1>GitHub Copilot Exporter</h1>
{DEMO_BANNER if demo else ""}
<p>Version {html.escape(__version__)}. <a href="{path}">Metrics</a> ·
<a href="/healthz">Health</a> · <a href="/readyz">Readiness</a></p>
<table><tr><th>Type</th><th>Scope</th><th>Source</th><th>Status</th><th>Report day</th>
<th>Last success</th><th>Last error</th><th>Seats</th><th>Billing</th></tr>
{table}
</table></body></html>
"""
    return page.encode()


class Handler(BaseHTTPRequestHandler):
    """Routes requests; the server object carries the exposition and settings."""

    server: ExporterHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = f"github-copilot-exporter/{__version__}"
    sys_version = ""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        srv = self.server
        if path not in OPEN_PATHS and not srv.web.check(self.headers.get("Authorization")):
            self._send(
                401,
                b"Unauthorized\n",
                {"Content-Type": "text/plain", "WWW-Authenticate": 'Basic realm="metrics"'},
            )
            return
        if path == srv.telemetry_path:
            openmetrics = wants_openmetrics(self.headers.get("Accept", ""))
            compressed = "gzip" in self.headers.get("Accept-Encoding", "")
            body = srv.exposition.render(openmetrics=openmetrics, compressed=compressed)
            headers = {"Content-Type": OPENMETRICS if openmetrics else TEXT}
            if compressed:
                headers["Content-Encoding"] = "gzip"
            self._send(200, body, headers)
        elif path == "/":
            self._send(
                200,
                landing_page(srv.snapshot(), srv.telemetry_path, demo=srv.demo),
                {"Content-Type": "text/html; charset=utf-8"},
            )
        elif path == "/healthz":
            self._send(200, b"ok\n", {"Content-Type": "text/plain"})
        elif path == "/readyz":
            ready = srv.exposition.ready
            self._send(
                200 if ready else 503,
                b"ready\n" if ready else b"not ready\n",
                {"Content-Type": "text/plain"},
            )
        else:
            self._send(404, b"not found\n", {"Content-Type": "text/plain"})

    def do_HEAD(self) -> None:
        self.do_GET()

    def _send(self, code: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(code)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s", format % args)


class ExporterHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the stdlib's 5 refuses connections when scrapers burst

    def __init__(
        self,
        address: tuple[str, int],
        exposition: Exposition,
        snapshot: Callable[[], Snapshot],
        telemetry_path: str = "/metrics",
        web: WebConfig | None = None,
        *,
        demo: bool = False,
    ) -> None:
        self.exposition = exposition
        self.snapshot = snapshot
        self.telemetry_path = telemetry_path
        self.demo = demo
        self.web = web or WebConfig()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        if self.web.ssl_context is not None:
            # The handshake happens on first read, in the request's own thread, so a slow
            # client cannot hold up accept().
            self.socket = self.web.ssl_context.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection error", extra={"client": str(client_address)}, exc_info=True)


def parse_listen_address(value: str) -> tuple[str, int]:
    """``:9185``, ``0.0.0.0:9185``, ``[::1]:9185`` to (host, port)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--web.listen-address: expected HOST:PORT such as :9185, got {value!r}")
    host = host.strip("[]")
    return (host or "0.0.0.0"), int(port)
