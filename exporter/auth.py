"""GitHub App authentication: a short-lived JWT buys installation tokens, cached per org.

API.md §4: JWT RS256 with ``iat`` = now-60 s, ``exp`` <= 10 min, ``iss`` = App ID; then
``POST /app/installations/{id}/access_tokens`` gives a token valid one hour. Tokens are
renewed five minutes before they expire; the installation is looked up per org
(``GET /orgs/{org}/installation``) unless the config names it.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import datetime

import httpx
import jwt

from exporter.config import AppAuth
from exporter.github import (
    API_VERSION,
    USER_AGENT,
    ApiError,
    ApiStats,
    read_at_most,
    transport_errors,
)
from exporter.logs import register_secret
from exporter.source import Reason

_RENEW_BEFORE = 300.0
_MAX_ANSWER = 1 << 20  # an installation or token answer is a few hundred bytes


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes


@dataclass(frozen=True)
class _Token:
    value: str
    expires: float


class AppTokens:
    """Token provider for :class:`exporter.github.GitHubClient` backed by a GitHub App."""

    def __init__(self, app: AppAuth, api_url: str, stats: ApiStats, timeout: float = 30.0) -> None:
        self._app = app
        self._api_url = api_url.rstrip("/")
        self._stats = stats
        self._timeout = timeout
        key = app.private_key_file.read_bytes()
        register_secret(key.decode("utf-8", "replace").strip())
        self._key = key
        self._installations: dict[str, int] = {}
        self._tokens: dict[int, _Token] = {}
        self._lock = asyncio.Lock()

    def app_jwt(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        claims = {"iat": int(now) - 60, "exp": int(now) + 540, "iss": str(self._app.app_id)}
        return jwt.encode(claims, self._key, algorithm="RS256")

    async def token_for(self, path: str) -> str | None:
        """The installation token for the org (or enterprise) a request path belongs to."""
        async with self._lock:
            installation = self._app.installation_id or await self._installation(path)
            cached = self._tokens.get(installation)
            if cached is None or cached.expires - time.time() < _RENEW_BEFORE:
                cached = await self._new_token(installation)
                self._tokens[installation] = cached
            return cached.value

    async def _request(self, method: str, endpoint: str, path: str) -> _Answer:
        """One request to the API's own origin; redirects are not followed (the JWT goes
        nowhere else), the answer is bounded in size and time."""
        headers = {
            "Authorization": f"Bearer {self.app_jwt()}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": USER_AGENT,
        }
        async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
            with transport_errors(endpoint, endpoint, self._stats):
                deadline = asyncio.get_running_loop().time() + 2 * self._timeout
                async with asyncio.timeout_at(deadline):
                    request = client.build_request(
                        method, f"{self._api_url}{path}", headers=headers
                    )
                    response = await client.send(request, stream=True)
                try:
                    body = await read_at_most(response, _MAX_ANSWER, deadline)
                finally:
                    await response.aclose()
        status = response.status_code
        self._stats.request(endpoint, str(status))
        if status >= 300 or body is None:
            reason: Reason = "unauthorized" if status == 401 else "app_auth_failed"
            self._stats.failure(endpoint, reason)
            raise ApiError(
                reason,
                f"GitHub App authentication failed: {endpoint} answered {status}"
                + ("" if body is not None else " with more than 1 MiB"),
                status,
                endpoint,
            )
        return _Answer(status, body)

    def _field(self, response: _Answer, endpoint: str, key: str) -> str:
        """One field of a JSON object answer; anything else is an invalid answer."""
        try:
            body = json.loads(response.body)
            value = body[key] if isinstance(body, dict) else None
        except (ValueError, RecursionError):
            value = None
        if not isinstance(value, str | int) or isinstance(value, bool):
            self._stats.failure(endpoint, "invalid_response")
            raise ApiError(
                "invalid_response",
                f"{endpoint}: answer has no {key!r}",
                response.status,
                endpoint,
            )
        return str(value)

    async def _installation(self, path: str) -> int:
        parts = path.split("?", 1)[0].strip("/").split("/")
        # The billing endpoints spell the owner /organizations/{org}: the same installation.
        if len(parts) < 2 or parts[0] not in ("orgs", "organizations"):
            raise ApiError(
                "app_auth_failed",
                "a GitHub App needs github.app.installation_id for enterprise scopes",
            )
        org = parts[1].lower()
        if org not in self._installations:
            endpoint = "/orgs/{org}/installation"
            response = await self._request("GET", endpoint, f"/orgs/{parts[1]}/installation")
            installation = self._field(response, endpoint, "id")
            if not installation.isdigit():
                raise ApiError("invalid_response", f"{endpoint}: 'id' is not a number")
            self._installations[org] = int(installation)
        return self._installations[org]

    async def _new_token(self, installation: int) -> _Token:
        endpoint = "/app/installations/{id}/access_tokens"
        response = await self._request(
            "POST", endpoint, f"/app/installations/{installation}/access_tokens"
        )
        token = self._field(response, endpoint, "token")
        register_secret(token)
        try:
            expires = datetime.fromisoformat(self._field(response, endpoint, "expires_at"))
        except ValueError:
            raise ApiError("invalid_response", f"{endpoint}: 'expires_at' is not a time") from None
        return _Token(token, expires.timestamp())
