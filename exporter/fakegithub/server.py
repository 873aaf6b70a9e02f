"""The fake GitHub served over real loopback HTTP: an API host and a download host.

Tests, the demo and benchmarks run the real exporter client against it, so it behaves
like GitHub where the client can tell: bearer auth, rate-limit headers, Link pagination,
two-step reports with short-lived signed links on another host, GitHub App JWTs, and
injectable faults (statuses, resets, truncated or slow bodies, non-JSON answers).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import re
import secrets
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, cast
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import jwt

from exporter.fakegithub.store import (
    ENTITY_28DAY_KINDS,
    KINDS_BY_OWNER_TYPE,
    NO_DATA_KINDS,
    LazyPart,
    ReportPart,
    ReportStore,
    stable_id,
)

Host = Literal["api", "download"]
Action = Literal["reset", "truncate", "slow", "invalid_json"]

RATE_LIMIT = 5000
LINK_TTL_SECONDS = 300
_DOCS = "https://docs.github.com/rest"
_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_REPORT_RE = re.compile(
    r"/(enterprises|orgs)/([^/]+)/copilot/metrics/reports/([a-z0-9-]+?)(/latest)?"
)
_LEGACY_RE = re.compile(r"/(enterprises|orgs)/([^/]+)(?:/team/([^/]+))?/copilot/metrics")
_BILLING_RE = re.compile(r"/orgs/([^/]+)/copilot/billing")
_SEATS_RE = re.compile(r"/(enterprises|orgs)/([^/]+)/copilot/billing/seats")
_INSTALLATION_RE = re.compile(r"/orgs/([^/]+)/installation")
_ACCESS_TOKEN_RE = re.compile(r"/app/installations/(\d+)/access_tokens")
_DOWNLOAD_RE = re.compile(r"/reports/([0-9a-f]+)")
_NOT_JSON = b"<!DOCTYPE html><html><body><h1>Unicorn!</h1></body></html>\n"


@dataclass(frozen=True)
class Fault:
    """A misbehaviour injected before normal handling, for the next `times` matching requests.

    `path_regex` is searched in the path, then in path?query. Without an action the fault
    answers `status` with `headers` and `body` (sent as JSON; a GitHub-style message when
    empty).
    Actions: "reset" closes the connection without answering; "truncate" sends the normal
    answer's headers but half its body; "slow" sends the normal body in small chunks with
    `delay` between them; "invalid_json" answers 200 with a non-JSON body. `delay` is slept
    before answering (for "slow": between chunks).
    """

    path_regex: str
    host: Host = "api"
    status: int = 500
    times: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    action: Action | None = None

    def __post_init__(self) -> None:
        if self.host not in ("api", "download"):
            raise ValueError(f"Fault host {self.host!r}: expected 'api' or 'download'")
        if self.action not in (None, "reset", "truncate", "slow", "invalid_json"):
            raise ValueError(
                f"Fault action {self.action!r}: expected 'reset', 'truncate', "
                "'slow', 'invalid_json' or None"
            )
        re.compile(self.path_regex)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it; status 0 means no answer was sent (a reset).

    ``at`` is the wall-clock time it was recorded, before the answer went out: a retry's
    ``at`` minus the refused answer's is a lower bound of the wait the client observed.
    """

    host: Host
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int
    at: float = field(default_factory=time.time)


@dataclass
class _Reply:
    status: int
    body: bytes | LazyPart = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Link:
    part: ReportPart
    sig: str
    expires: int
    serial: int


def _json_reply(status: int, obj: object, headers: Mapping[str, str] | None = None) -> _Reply:
    return _Reply(
        status,
        json.dumps(obj, separators=(",", ":")).encode(),
        {"content-type": "application/json; charset=utf-8", **(headers or {})},
    )


def _error(status: int, message: str, **extra: str) -> _Reply:
    return _json_reply(
        status, {"message": message, "documentation_url": _DOCS, "status": str(status), **extra}
    )


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, gh: FakeGitHub, host: Host) -> None:
        self.gh = gh
        self.host_kind: Host = host
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-answer are normal here (timeouts, fault tests)."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sys_version = ""
    timeout = 60  # idle keep-alive connections must not pin threads forever

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # delayed ACKs add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        srv = cast(_Server, self.server)
        with srv.connections_lock:
            srv.connections.add(self.connection)

    def finish(self) -> None:
        srv = cast(_Server, self.server)
        with srv.connections_lock:
            srv.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read gh.requests instead of stderr."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        srv = cast(_Server, self.server)
        gh, host = srv.gh, srv.host_kind
        split = urlsplit(self.path)
        path = split.path
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        if gh.latency:
            time.sleep(gh.latency)
        fault = gh._take_fault(host, path, split.query)
        if fault is not None and fault.delay and fault.action != "slow":
            time.sleep(fault.delay)

        def record(status: int) -> None:
            gh._record(RecordedRequest(host, self.command, path, query, headers, status))

        if fault is not None and fault.action == "reset":
            record(0)
            self._reset()
            return
        if fault is not None and fault.action is None:
            reply = (
                _Reply(
                    fault.status, fault.body, {"content-type": "application/json; charset=utf-8"}
                )
                if fault.body
                else _error(fault.status, "Injected fault")
            )
        elif fault is not None and fault.action == "invalid_json":
            reply = _Reply(
                200, fault.body or _NOT_JSON, {"content-type": "application/json; charset=utf-8"}
            )
        elif host == "api":
            reply = gh._api(self.command, path, query, headers)
        else:
            reply = gh._download(path, query, headers)
        if host == "api":
            reply.headers = {**gh._rate_headers(count=reply.status != 304), **reply.headers}
        if fault is not None:
            reply.headers.update({k.lower(): v for k, v in fault.headers.items()})
        record(reply.status)
        try:
            self._send(reply, fault)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _reset(self) -> None:
        # SO_LINGER 0: close() sends RST, the way a dropped connection looks to a client.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _send(self, reply: _Reply, fault: Fault | None) -> None:
        action = fault.action if fault is not None else None
        body = reply.body
        if isinstance(body, LazyPart) and (body.cached is not None or action is not None):
            body = body.cached if body.cached is not None else body.read()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if isinstance(body, LazyPart):
            # First download of a generated part: stream it as it is produced.
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for chunk in body.stream():
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return
        if reply.status != 204 and reply.status != 304:
            self.send_header("content-length", str(len(body)))
        self.end_headers()
        if action == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif action == "slow" and fault is not None:
            step = max(1, min(1024, len(body) // 8))
            for start in range(0, len(body), step):
                time.sleep(fault.delay)
                self.wfile.write(body[start : start + step])
        elif body:
            self.wfile.write(body)


class FakeGitHub:
    """GitHub's API and report download hosts on 127.0.0.1, serving a `ReportStore`.

    `token` None accepts any credentials. Installation tokens issued through the GitHub
    App flow (needs `app_public_key_pem` and `app_id`) are accepted as well.
    """

    def __init__(
        self,
        store: ReportStore,
        token: str | None = None,
        latency: float = 0.0,
        *,
        app_public_key_pem: bytes | None = None,
        app_id: int | None = None,
        link_ttl: int = LINK_TTL_SECONDS,
    ) -> None:
        self.store = store
        self.token = token
        self.latency = latency
        self.app_public_key_pem = app_public_key_pem
        self.app_id = app_id
        self.link_ttl = link_ttl
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._faults: list[list[Any]] = []  # [Fault, remaining or None]
        self._links: dict[str, _Link] = {}
        self._link_serial = 0
        self._expired_through = 0
        self._next_prune = 0.0
        self._tokens: dict[str, datetime] = {}
        self._used = 0
        self._request_ids = itertools.count(1)
        self._reset_at = int(time.time()) + 3600
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        if self._servers:
            return self
        self._servers = [_Server(self, "api"), _Server(self, "download")]
        for srv in self._servers:
            thread = threading.Thread(
                target=srv.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fakegithub-{srv.host_kind}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
            with srv.connections_lock:
                connections = list(srv.connections)
            for conn in connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _url(self, index: int) -> str:
        if not self._servers:
            raise RuntimeError("FakeGitHub is not started: call start() or use `with`")
        return f"http://127.0.0.1:{self._servers[index].server_address[1]}"

    @property
    def api_url(self) -> str:
        return self._url(0)

    @property
    def download_url(self) -> str:
        return self._url(1)

    # --- test controls --------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request so far, both hosts, in arrival order."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    @property
    def installation_tokens(self) -> list[str]:
        with self._lock:
            return list(self._tokens)

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append([fault, fault.times])

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def expire_links(self) -> None:
        """Every download link issued so far answers 403, like an expired signed URL."""
        with self._lock:
            self._expired_through = self._link_serial

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _take_fault(self, host: Host, path: str, query: str) -> Fault | None:
        with self._lock:
            for entry in self._faults:
                fault, remaining = cast(Fault, entry[0]), cast("int | None", entry[1])
                if fault.host != host or remaining == 0:
                    continue
                if re.search(fault.path_regex, path) or (
                    query and re.search(fault.path_regex, f"{path}?{query}")
                ):
                    if remaining is not None:
                        entry[1] = remaining - 1
                    return fault
        return None

    def _rate_headers(self, *, count: bool) -> dict[str, str]:
        with self._lock:
            if count:
                self._used += 1
            used = self._used
        return {
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(max(0, RATE_LIMIT - used)),
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(self._reset_at),
            "x-ratelimit-resource": "core",
            "x-github-request-id": f"FA4E:{next(self._request_ids):06X}:{self._reset_at:X}",
        }

    # --- API host -------------------------------------------------------------------------

    def _api(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> _Reply:
        credentials = headers.get("authorization", "")
        scheme, _, secret = credentials.partition(" ")
        secret = secret.strip()
        if method == "POST" and (m := _ACCESS_TOKEN_RE.fullmatch(path)):
            return self._jwt_check(scheme, secret) or self._access_token(int(m.group(1)))
        if method == "GET" and (m := _INSTALLATION_RE.fullmatch(path)):
            return self._jwt_check(scheme, secret) or self._installation(unquote(m.group(1)))
        if not self._authorized(scheme, secret):
            return _error(401, "Bad credentials")
        if method != "GET":
            return _error(404, "Not Found")
        reply = self._route(path, query)
        if reply.status == 200 and isinstance(reply.body, bytes):
            etag = f'W/"{hashlib.sha256(reply.body).hexdigest()[:32]}"'
            reply.headers["etag"] = etag
            if headers.get("if-none-match") == etag:
                return _Reply(304, b"", {"etag": etag})
        return reply

    def _authorized(self, scheme: str, secret: str) -> bool:
        if self.token is None:
            return True
        if scheme.lower() not in ("bearer", "token") or not secret:
            return False
        if hmac.compare_digest(secret, self.token):
            return True
        with self._lock:
            expires = self._tokens.get(secret)
        return expires is not None and expires > datetime.now(UTC)

    def _route(self, path: str, query: Mapping[str, str]) -> _Reply:
        spend = self.store.spend()
        billed = spend.answer(path, query) if spend is not None else None
        if billed is not None:
            return _json_reply(*billed)
        if m := _REPORT_RE.fullmatch(path):
            return self._report(
                m.group(1), unquote(m.group(2)), m.group(3), latest=bool(m.group(4)), query=query
            )
        if m := _LEGACY_RE.fullmatch(path):
            owner = f"{m.group(1)}/{unquote(m.group(2))}"
            if m.group(3):
                owner += f"/team/{unquote(m.group(3))}"
            return self._legacy(owner, path, query)
        if m := _SEATS_RE.fullmatch(path):
            seats = self.store.seats(f"{m.group(1)}/{unquote(m.group(2))}")
            if seats is None:
                return _error(404, "Not Found")
            # GitHub counts an enterprise user with several seats once in total_seats.
            total = (
                len(seats)
                if m.group(1) == "orgs"
                else len({str((s.get("assignee") or {}).get("id")) for s in seats})
            )
            return self._paginate(
                seats,
                path,
                query,
                default=50,
                strict=False,
                wrap=lambda page: {"total_seats": total, "seats": page},
            )
        if m := _BILLING_RE.fullmatch(path):
            billing = self.store.billing(unquote(m.group(1)))
            return _error(404, "Not Found") if billing is None else _json_reply(200, billing)
        return _error(404, "Not Found")

    def _report(
        self, owner_type: str, name: str, kind: str, *, latest: bool, query: Mapping[str, str]
    ) -> _Reply:
        owner = f"{owner_type}/{name}"
        if kind not in KINDS_BY_OWNER_TYPE[owner_type] or latest != (kind in ENTITY_28DAY_KINDS):
            return _error(404, "Not Found")
        if owner not in self.store.owners():
            return _error(404, "Not Found")
        day: date | None = None
        if not latest:
            raw = query.get("day", "")
            try:
                if not _DAY_RE.fullmatch(raw):
                    raise ValueError(raw)
                day = date.fromisoformat(raw)
            except ValueError:
                return _error(422, "Invalid request.\n\n'day' must be a date as YYYY-MM-DD.")
        report = self.store.report(kind, owner, day)
        if report is None:
            if kind in NO_DATA_KINDS:
                return _Reply(204)  # a day not processed yet; for repos: no activity that day
            return _error(404, "Not Found")
        links = [self._issue_link(part) for part in report.parts]
        if latest:
            return _json_reply(
                200,
                {
                    "download_links": links,
                    "report_start_day": report.start_day.isoformat(),
                    "report_end_day": report.end_day.isoformat(),
                },
            )
        return _json_reply(200, {"download_links": links, "report_day": report.end_day.isoformat()})

    def _issue_link(self, part: ReportPart) -> str:
        link_id = secrets.token_hex(16)
        sig = secrets.token_hex(24)
        now = int(time.time())
        expires = now + self.link_ttl
        with self._lock:
            if now >= self._next_prune:
                # Long-expired links answer 403 whether kept or not: drop them to bound memory.
                self._next_prune = now + 60
                for stale in [k for k, v in self._links.items() if v.expires < now - 600]:
                    del self._links[stale]
            self._link_serial += 1
            self._links[link_id] = _Link(part, sig, expires, self._link_serial)
        return f"{self.download_url}/reports/{link_id}?sig={sig}&se={expires}"

    def _legacy(self, owner: str, path: str, query: Mapping[str, str]) -> _Reply:
        status = self.store.legacy_status(owner)
        docs = "https://docs.github.com/rest/copilot/copilot-metrics"
        if status is None or status == "closed":
            return _json_reply(
                404, {"message": "Not Found", "documentation_url": docs, "status": "404"}
            )
        if status == "policy_disabled":
            return _json_reply(
                422,
                {
                    "message": "Copilot Usage Metrics API setting is disabled at the organization "
                    "or enterprise level.",
                    "documentation_url": docs,
                    "status": "422",
                },
            )
        try:
            since = _parse_moment(query.get("since"))
            until = _parse_moment(query.get("until"))
        except ValueError:
            return _error(422, "Invalid request.\n\n'since' and 'until' must be ISO 8601.")
        days = [
            d
            for d in self.store.legacy_days(owner)
            if (since is None or str(d.get("date", "")) >= since)
            and (until is None or str(d.get("date", "")) <= until)
        ]
        return self._paginate(days, path, query, default=28, strict=True, wrap=list)

    def _paginate(
        self,
        items: Sequence[Any],
        path: str,
        query: Mapping[str, str],
        *,
        default: int,
        strict: bool,
        wrap: Callable[[list[Any]], object],
    ) -> _Reply:
        """One page of items plus GitHub's Link header, other query parameters kept."""
        try:
            per_page = int(query.get("per_page") or default)
            page = max(1, int(query.get("page") or 1))
        except ValueError:
            return _error(422, "Invalid request.\n\n'page' and 'per_page' must be integers.")
        if per_page > 100 and strict:
            return _error(422, "Invalid request.\n\n'per_page' must be at most 100.")
        per_page = min(max(per_page, 1), 100)
        last = max(1, -(-len(items) // per_page))
        chunk = list(items[(page - 1) * per_page : page * per_page])

        def url(n: int) -> str:
            params = {**query, "page": str(n)}
            return f"{self.api_url}{path}?{urlencode(params)}"

        rels: list[str] = []
        if page > 1:
            rels += [f'<{url(min(page - 1, last))}>; rel="prev"']
        if page < last:
            rels += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
        if page > 1:
            rels += [f'<{url(1)}>; rel="first"']
        headers = {"link": ", ".join(rels)} if rels and items else {}
        return _json_reply(200, wrap(chunk), headers)

    # --- GitHub App -----------------------------------------------------------------------

    def _jwt_check(self, scheme: str, secret: str) -> _Reply | None:
        """None when the bearer is a valid app JWT, else GitHub's 401."""
        bad = _error(401, "A JSON web token could not be decoded")
        if self.app_public_key_pem is None or self.app_id is None:
            return bad
        if scheme.lower() != "bearer" or not secret:
            return bad
        try:
            claims = jwt.decode(
                secret,
                self.app_public_key_pem,
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"]},
                leeway=60,
            )
        except jwt.ExpiredSignatureError:
            return _error(
                401,
                "'Expiration time' claim ('exp') must be a numeric value "
                "representing the future time at which the assertion expires",
            )
        except jwt.PyJWTError:
            return bad
        if str(claims["iss"]) != str(self.app_id):
            return _error(401, "'Issuer' claim ('iss') must be an Integer")
        if int(claims["exp"]) - int(claims["iat"]) > 600 + 60:
            return _error(401, "'Expiration time' claim ('exp') is too far in the future")
        return None

    def _installations(self) -> dict[int, str]:
        orgs = [
            o.split("/")[1]
            for o in self.store.owners()
            if o.startswith("orgs/") and o.count("/") == 1
        ]
        return {stable_id("installation", org): org for org in orgs}

    def _installation(self, org: str) -> _Reply:
        for installation_id, name in self._installations().items():
            if name == org:
                return _json_reply(
                    200,
                    {
                        "id": installation_id,
                        "account": {
                            "login": org,
                            "id": stable_id("org", org),
                            "type": "Organization",
                        },
                        "app_id": self.app_id,
                        "target_type": "Organization",
                        "permissions": {
                            "organization_copilot_metrics": "read",
                            "organization_administration": "read",
                        },
                        "repository_selection": "all",
                    },
                )
        return _error(404, "Not Found")

    def _access_token(self, installation_id: int) -> _Reply:
        if installation_id not in self._installations():
            return _error(404, "Not Found")
        token = "ghs_" + secrets.token_urlsafe(27).replace("-", "a").replace("_", "b")[:36]
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
        with self._lock:
            self._tokens[token] = expires
        return _json_reply(
            201,
            {
                "token": token,
                "expires_at": _iso(expires),
                "permissions": {"organization_copilot_metrics": "read"},
                "repository_selection": "all",
            },
        )

    # --- download host --------------------------------------------------------------------

    def _download(self, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> _Reply:
        if "authorization" in headers:
            return _json_reply(400, {"message": "Authorization header not allowed on signed URLs"})
        m = _DOWNLOAD_RE.fullmatch(path)
        with self._lock:
            link = self._links.get(m.group(1)) if m else None
            expired_through = self._expired_through
        now = int(time.time())
        if (
            link is None
            or link.serial <= expired_through
            or now > link.expires
            or not hmac.compare_digest(query.get("sig", ""), link.sig)
            or query.get("se") != str(link.expires)
        ):
            return _Reply(403, _azure_error(now), {"content-type": "application/xml"})
        return _Reply(
            200,
            link.part,
            {"content-type": "application/octet-stream", "x-ms-blob-type": "BlockBlob"},
        )


def _azure_error(now: int) -> bytes:
    moment = _iso(datetime.fromtimestamp(now, UTC))
    return (
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>'
        "<Message>Server failed to authenticate the request. Make sure the value of "
        "Authorization header is formed correctly including the signature.\n"
        f"Time:{moment}</Message><AuthenticationErrorDetail>Signed expiry time has passed or "
        "the signature does not match.</AuthenticationErrorDetail></Error>"
    ).encode()


def _parse_moment(raw: str | None) -> str | None:
    """The date part of an ISO 8601 date or timestamp; legacy filters work on whole days."""
    if not raw:
        return None
    return (
        datetime.fromisoformat(raw).date().isoformat()
        if "T" in raw
        else date.fromisoformat(raw).isoformat()
    )
