"""The GitHub HTTP client: headers, retries, rate limits, pagination and signed downloads.

It knows nothing of Prometheus. What it observes (requests by endpoint and status,
failures by reason, the last rate-limit headers) goes into :class:`ApiStats`, which the
status collector reads.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from exporter import __version__
from exporter.logs import redact, redact_url
from exporter.settings import size_text
from exporter.source import Reason

log = logging.getLogger(__name__)

API_VERSION = "2026-03-10"
USER_AGENT = f"github-copilot-exporter/{__version__}"
DOWNLOAD_ENDPOINT = "report_download"
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')
_MAX_RATE_LIMIT_WAIT = 15 * 60.0
MAX_REDIRECTS = 5


class ApiError(Exception):
    """A request that did not give a usable answer; ``reason`` is a stable label value."""

    def __init__(
        self, reason: Reason, message: str, status: int | None = None, endpoint: str = ""
    ) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.status = status
        self.endpoint = endpoint


@contextmanager
def transport_errors(endpoint: str, what: str, stats: ApiStats | None = None) -> Iterator[None]:
    """The one translation of httpx's transport errors into :class:`ApiError` (counted as a
    failure of ``endpoint`` in ``stats``).

    ``what`` names the request in the message (``/orgs/{org}/...``, ``download of URL``);
    it must not hold a secret (signed URLs go through :func:`redact_url` first).
    """
    try:
        yield
    except (httpx.HTTPError, TimeoutError) as exc:
        error = _transport_error(exc, endpoint, what)
        if stats is not None:
            stats.failure(endpoint, error.reason)
        raise error from None


def _transport_error(exc: httpx.HTTPError | TimeoutError, endpoint: str, what: str) -> ApiError:
    if isinstance(exc, TimeoutError):  # the whole answer's deadline, not one read's
        return ApiError(
            "timeout",
            f"{what} timed out: not complete within limits.download_deadline",
            endpoint=endpoint,
        )
    if isinstance(exc, httpx.TimeoutException):
        return ApiError("timeout", f"{what} timed out", endpoint=endpoint)
    if isinstance(exc, httpx.DecodingError):  # e.g. a corrupt gzip body
        return ApiError("invalid_response", f"{what}: undecodable body", endpoint=endpoint)
    if isinstance(exc, httpx.TooManyRedirects):
        return ApiError("invalid_response", f"{what}: redirected in a loop", endpoint=endpoint)
    return ApiError(
        "network",
        f"{what} failed: the connection broke off ({type(exc).__name__})",
        endpoint=endpoint,
    )


Origin = tuple[str, str, int]


def origin(url: str | httpx.URL) -> Origin | None:
    """(scheme, host, port) of an http(s) URL; None for anything else. Credentials are
    only ever sent to the configured API's origin."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return None
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return parsed.scheme, parsed.host.lower(), port


def _origin_text(found: Origin | None) -> str:
    return f"{found[0]}://{found[1]}:{found[2]}" if found else "a URL that is not http(s)"


def api_path(template: str, **params: str) -> str:
    """The request path of an endpoint template (``/orgs/{org}/copilot/billing``), every
    parameter URL-quoted, slashes included: a name can never reach another path."""
    return template.format_map({key: quote(value, safe="") for key, value in params.items()})


@dataclass
class RateLimit:
    remaining: float
    reset: float


@dataclass
class ApiStats:
    """Thread-safe tallies of what the client did; read by the status collector."""

    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)
    rate_limits: dict[str, RateLimit] = field(default_factory=dict)
    downloaded_bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def downloaded(self, size: int) -> None:
        with self._lock:
            self.downloaded_bytes += size

    def request(self, endpoint: str, code: str) -> None:
        with self._lock:
            self.requests[(endpoint, code)] += 1

    def failure(self, endpoint: str, reason: str) -> None:
        with self._lock:
            self.failures[(endpoint, reason)] += 1

    def rate_limit(self, resource: str, remaining: float, reset: float) -> None:
        with self._lock:
            self.rate_limits[resource] = RateLimit(remaining, reset)

    def copy(
        self,
    ) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int], dict[str, RateLimit]]:
        with self._lock:
            return dict(self.requests), dict(self.failures), dict(self.rate_limits)


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    def json(self) -> Any:
        """The body as JSON; ValueError for anything else, nesting too deep included."""
        import json

        try:
            return json.loads(self.body)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


TokenProvider = Callable[[str], Awaitable[str | None]]
"""Gives the Authorization token for a request path (GitHub App tokens differ per org)."""


_STATUS_REASONS: Mapping[int, Reason] = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    422: "unprocessable",
    429: "rate_limited",
}


def _reason_for(status: int) -> Reason:
    if status >= 500:
        return "server_error"
    return _STATUS_REASONS.get(status, "client_error")


def _github_message(body: bytes) -> str:
    try:
        import json

        message = json.loads(body).get("message")
        return str(message)[:200] if message else ""
    except (ValueError, AttributeError, RecursionError):
        return ""


def _retry_after(headers: Mapping[str, str], now: float) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - now) if parsed else None


class GitHubClient:
    """Async client for the GitHub REST API and the report download host.

    All requests share one semaphore (``concurrency``) and one "not before" time, so that a
    rate limit seen by one request pauses all of them instead of letting each scope retry
    on its own.
    """

    def __init__(
        self,
        api_url: str,
        token: TokenProvider,
        *,
        stats: ApiStats | None = None,
        timeout: float = 30.0,
        concurrency: int = 4,
        max_retries: int = 4,
        backoff: float = 1.0,
        min_rate_limit_wait: float = 60.0,
        max_rate_limit_wait: float = _MAX_RATE_LIMIT_WAIT,
        max_response_bytes: int = 64 << 20,
        max_download_bytes: int = 1 << 30,
        max_record_bytes: int = 16 << 20,
        deadline: float = 15 * 60.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._origin = origin(self.api_url)
        self._base_path = httpx.URL(self.api_url).path.rstrip("/")
        self._token = token
        self._max_response = max_response_bytes
        self._max_download = max_download_bytes
        # Not the client's to enforce (it moves bytes), but a bound on what one answer may
        # cost, configured with the others: the report parser reads it from here.
        self.max_record_bytes = max_record_bytes
        self._deadline = deadline
        self.stats = stats or ApiStats()
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._semaphore = asyncio.Semaphore(concurrency)
        self._max_retries = max_retries
        self._backoff = backoff
        self._min_rl_wait = min_rate_limit_wait
        self._max_rl_wait = max_rate_limit_wait
        self._not_before = 0.0
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": USER_AGENT,
        }
        # Redirects are followed by hand (:meth:`_open`): the token goes to the API's origin
        # only, and no redirect's body is read.
        self._api = httpx.AsyncClient(headers=headers, timeout=self._timeout, limits=limits)
        # A separate client without any credentials: signed links must never see the token.
        self._downloads = httpx.AsyncClient(
            headers={"User-Agent": USER_AGENT}, timeout=self._timeout, limits=limits
        )

    async def aclose(self) -> None:
        await self._api.aclose()
        await self._downloads.aclose()

    async def __aenter__(self) -> GitHubClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- requests -------------------------------------------------------------------------

    def invalid_answer(self, endpoint: str, message: str, status: int | None = None) -> ApiError:
        """An answer GitHub should not give (a body of the wrong shape), counted as an
        ``invalid_response`` failure of ``endpoint``; the caller raises it."""
        self.stats.failure(endpoint, "invalid_response")
        return ApiError("invalid_response", message, status, endpoint)

    async def get(
        self,
        endpoint: str,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        ok: tuple[int, ...] = (200,),
        method: str = "GET",
    ) -> Response:
        """Request an API path; statuses in ``ok`` are returned, anything else raises.

        ``endpoint`` is the path template used as a metric label.
        """
        url = self._url(endpoint, path)
        token = await self._token(self._api_path(url))
        return await self._request(self._api, endpoint, method, url, params, token, ok)

    def _url(self, endpoint: str, path: str) -> str:
        """The URL of an API path, or an absolute URL GitHub handed back; one of another
        origin is refused: it would get the token."""
        if path.startswith("/"):
            return f"{self.api_url}{path}"
        found = origin(path)
        if found is None or found != self._origin:
            self.stats.failure(endpoint, "foreign_link")
            raise ApiError(
                "foreign_link",
                f"{endpoint}: GitHub's answer points to {_origin_text(found)}, not to "
                f"{_origin_text(self._origin)}; not followed",
                endpoint=endpoint,
            )
        return path

    def _api_path(self, url: str) -> str:
        """``/orgs/x/...`` of an API URL (what a token provider chooses the token by)."""
        return httpx.URL(url).path.removeprefix(self._base_path) or "/"

    async def paginate(
        self,
        endpoint: str,
        path: str,
        params: Mapping[str, str] | None = None,
        max_pages: int = 1000,
    ) -> AsyncIterator[Response]:
        """Yield each page, following ``Link: rel="next"`` to the end (loops are refused)."""
        seen: set[str] = set()
        response = await self.get(endpoint, path, params)
        yield response
        for _ in range(max_pages):
            found = next_link(response.headers.get("link", ""))
            if found is None:
                return
            try:
                nxt = str(httpx.URL(response.url).join(found))  # GitHub's are absolute already
            except httpx.InvalidURL:
                nxt = found  # refused as foreign by get()
            if nxt in seen or nxt == response.url:
                raise ApiError(
                    "pagination_loop",
                    f"{endpoint}: the Link header points back to a page already read",
                    endpoint=endpoint,
                )
            seen.add(nxt)
            response = await self.get(endpoint, nxt)
            yield response
        raise ApiError(
            "pagination_loop", f"{endpoint}: more than {max_pages} pages", endpoint=endpoint
        )

    async def download(self, url: str) -> AsyncIterator[bytes]:
        """Stream a signed report file, without credentials; retries only before the body.

        Bounded: at most ``max_download_bytes`` (decompressed) within the deadline.
        """
        attempt = 0
        what = f"download of {redact_url(url)}"
        while True:
            attempt += 1
            retry = False
            async with self._semaphore:
                await self._wait_turn()  # inside: queued requests also honour a new pause
                with transport_errors(DOWNLOAD_ENDPOINT, what, self.stats):
                    deadline = asyncio.get_running_loop().time() + self._deadline
                    async with self._open(self._downloads, "GET", url, deadline) as response:
                        status = response.status_code
                        self.stats.request(DOWNLOAD_ENDPOINT, str(status))
                        if status == 200:
                            self._check_length(response, DOWNLOAD_ENDPOINT, what)
                            size = 0
                            async for chunk in _chunks(response, deadline):
                                size += len(chunk)
                                if size > self._max_download:
                                    raise self._too_large(DOWNLOAD_ENDPOINT, what, status)
                                self.stats.downloaded(len(chunk))
                                yield chunk
                            return
                        expired = status in (401, 403, 404, 410)
                        reason: Reason = "link_expired" if expired else _reason_for(status)
                        self.stats.failure(DOWNLOAD_ENDPOINT, reason)
                        if not expired and status >= 500 and attempt <= self._max_retries:
                            retry = True
                        else:
                            detail = " (expired or invalid)" if expired else ""
                            raise ApiError(
                                reason,
                                f"download link answered {status}{detail}",
                                status,
                                DOWNLOAD_ENDPOINT,
                            )
            if retry:
                await self._sleep_backoff(attempt)

    @asynccontextmanager
    async def _open(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        deadline: float,
        *,
        params: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """Send a request and open its answer (body unread), following up to
        :data:`MAX_REDIRECTS` redirects; ``token`` goes to the API's origin and nowhere else."""
        for _ in range(MAX_REDIRECTS + 1):
            headers = (
                {"Authorization": f"Bearer {token}"}
                if token and origin(url) == self._origin
                else {}
            )
            request = client.build_request(method, url, params=params, headers=headers)
            async with asyncio.timeout_at(deadline):
                response = await client.send(request, stream=True)
            if not response.has_redirect_location:
                try:
                    yield response
                finally:
                    await response.aclose()
                return
            await response.aclose()
            url = str(response.url.join(response.headers["location"]))
            params = None  # the location holds the query it wants
            if response.status_code == 303:
                method = "GET"
        raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects", request=request)

    def _cap(self, endpoint: str) -> tuple[int, str]:
        if endpoint == DOWNLOAD_ENDPOINT:
            return self._max_download, "limits.max_download_bytes"
        return self._max_response, "limits.max_response_bytes"

    def _check_length(self, response: httpx.Response, endpoint: str, what: str) -> None:
        """Refuse an announced size over the cap before reading any of it."""
        declared = response.headers.get("content-length", "")
        encoded = response.headers.get("content-encoding", "identity") != "identity"
        if declared.isdigit() and int(declared) > self._cap(endpoint)[0] and not encoded:
            raise self._too_large(endpoint, what, response.status_code)

    def _too_large(self, endpoint: str, what: str, status: int) -> ApiError:
        cap, key = self._cap(endpoint)
        self.stats.failure(endpoint, "too_large")
        return ApiError(
            "too_large", f"{what} is larger than {size_text(cap)} ({key})", status, endpoint
        )

    async def _read(self, response: httpx.Response, endpoint: str, deadline: float) -> bytes:
        """The whole body of an API answer, at most ``max_response_bytes``."""
        self._check_length(response, endpoint, endpoint)
        body = await read_at_most(response, self._max_response, deadline)
        if body is None:
            raise self._too_large(endpoint, endpoint, response.status_code)
        return body

    async def _request(
        self,
        client: httpx.AsyncClient,
        endpoint: str,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        token: str | None,
        ok: tuple[int, ...],
    ) -> Response:
        attempt = 0
        while True:
            attempt += 1
            failure: ApiError | None = None
            async with self._semaphore:
                await self._wait_turn()  # inside: queued requests also honour a new pause
                try:
                    with transport_errors(endpoint, endpoint, self.stats):
                        deadline = asyncio.get_running_loop().time() + self._deadline
                        async with self._open(
                            client, method, url, deadline, params=params, token=token
                        ) as opened:
                            body = await self._read(opened, endpoint, deadline)
                            raw = Response(
                                opened.status_code, opened.headers, body, str(opened.url)
                            )
                except ApiError as exc:
                    if exc.reason == "too_large":
                        raise  # the same answer again would be as large
                    failure = exc
            if failure is not None:  # network trouble: back off and try again
                if attempt > self._max_retries:
                    raise failure
                await self._sleep_backoff(attempt)
                continue
            self.stats.request(endpoint, str(raw.status))
            self._observe_rate_limit(raw.headers)
            if raw.status in ok:
                return raw
            wait = self._rate_limit_wait(raw.status, raw.headers, attempt)
            if wait is not None:
                self.stats.failure(endpoint, "rate_limited")
                if attempt > self._max_retries or wait > self._max_rl_wait:
                    raise ApiError(
                        "rate_limited",
                        f"{endpoint}: rate limited by GitHub; retry in {wait:.0f}s",
                        raw.status,
                        endpoint,
                    )
                resume = time.time() + wait
                if resume > self._not_before:  # the scope's failure is what gets a warning
                    log.info(
                        "GitHub rate limit reached; pausing all requests",
                        extra={"endpoint": endpoint, "wait_seconds": round(wait, 1)},
                    )
                    self._not_before = resume
                continue
            reason = _reason_for(raw.status)
            self.stats.failure(endpoint, reason)
            if raw.status >= 500 and attempt <= self._max_retries:
                await self._sleep_backoff(attempt)
                continue
            message = redact(_github_message(raw.body))  # GitHub may echo what we sent
            raise ApiError(
                reason,
                f"{endpoint} answered {raw.status}" + (f": {message}" if message else ""),
                raw.status,
                endpoint,
            )

    def _rate_limit_wait(
        self, status: int, headers: Mapping[str, str], attempt: int
    ) -> float | None:
        """Seconds to wait when GitHub says we are rate limited, else None (API.md §4)."""
        if status not in (403, 429):
            return None
        now = time.time()
        after = _retry_after(headers, now)
        if after is not None:
            return after
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            try:
                return max(0.0, float(headers["x-ratelimit-reset"]) - now) + 1.0
            except ValueError:
                pass
        if status == 429:
            return self._min_rl_wait * 2.0 ** (attempt - 1)
        return None  # a 403 without rate-limit signs is a permission problem

    def _observe_rate_limit(self, headers: Mapping[str, str]) -> None:
        remaining, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
        if remaining is None or reset is None:
            return
        try:
            self.stats.rate_limit(
                headers.get("x-ratelimit-resource", "core"), float(remaining), float(reset)
            )
        except ValueError:
            return

    async def _wait_turn(self) -> None:
        while (delay := self._not_before - time.time()) > 0:  # the pause may grow meanwhile
            await asyncio.sleep(delay)

    async def _sleep_backoff(self, attempt: int) -> None:
        base = self._backoff * 2.0 ** (attempt - 1)
        await asyncio.sleep(base * (0.5 + random.random() / 2))  # noqa: S311 (jitter)


async def read_at_most(response: httpx.Response, cap: int, deadline: float) -> bytes | None:
    """An opened answer's decoded body, read within ``deadline`` (loop time); None as soon
    as it passes ``cap`` bytes (the rest is never read)."""
    body = bytearray()
    async for chunk in _chunks(response, deadline):
        body += chunk
        if len(body) > cap:
            return None
    return bytes(body)


async def _chunks(response: httpx.Response, deadline: float) -> AsyncIterator[bytes]:
    """The decoded body's chunks, each read within the answer's deadline (the deadline
    guards the reads only, never the caller's work between them)."""
    chunks = response.aiter_bytes()
    while True:
        async with asyncio.timeout_at(deadline):
            chunk = await anext(chunks, None)
        if chunk is None:
            return
        yield chunk


def next_link(header: str) -> str | None:
    """The ``rel="next"`` URL of a GitHub ``Link`` header."""
    for url, rel in _LINK.findall(header):
        if "next" in rel.split():
            return str(url)
    return None
