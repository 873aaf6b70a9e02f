"""GitHub App authentication: a short-lived JWT buys installation tokens, cached per org.

API.md §4: JWT RS256 with ``iat`` = now-60 s, ``exp`` <= 10 min, ``iss`` = App ID; then
``POST /app/installations/{id}/access_tokens`` gives a token valid one hour. Tokens are
renewed five minutes before they expire; the installation is looked up per org
(``GET /orgs/{org}/installation``) unless the config names it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime

import httpx
import jwt

from exporter.config import AppAuth
from exporter.github import API_VERSION, USER_AGENT, ApiError, ApiStats
from exporter.logs import register_secret

_RENEW_BEFORE = 300.0


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

    async def _request(self, method: str, endpoint: str, path: str) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {self.app_jwt()}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": USER_AGENT,
        }
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            try:
                response = await client.request(method, f"{self._api_url}{path}", headers=headers)
            except httpx.HTTPError as exc:
                self._stats.failure(endpoint, "network")
                raise ApiError(
                    "network", f"{endpoint}: {type(exc).__name__}", endpoint=endpoint
                ) from None
        self._stats.request(endpoint, str(response.status_code))
        if response.status_code >= 300:
            reason = "unauthorized" if response.status_code == 401 else "app_auth_failed"
            self._stats.failure(endpoint, reason)
            raise ApiError(
                reason,
                f"GitHub App authentication failed: {endpoint} answered "
                f"{response.status_code}; check app_id, the private key and that "
                "the App is installed",
                response.status_code,
                endpoint,
            )
        return response

    async def _installation(self, path: str) -> int:
        parts = path.split("?", 1)[0].strip("/").split("/")
        if len(parts) < 2 or parts[0] != "orgs":
            raise ApiError(
                "app_auth_failed",
                "a GitHub App needs github.app.installation_id for enterprise scopes",
            )
        org = parts[1].lower()
        if org not in self._installations:
            response = await self._request(
                "GET", "/orgs/{org}/installation", f"/orgs/{parts[1]}/installation"
            )
            self._installations[org] = int(response.json()["id"])
        return self._installations[org]

    async def _new_token(self, installation: int) -> _Token:
        response = await self._request(
            "POST",
            "/app/installations/{id}/access_tokens",
            f"/app/installations/{installation}/access_tokens",
        )
        body = response.json()
        token = str(body["token"])
        register_secret(token)
        expires = datetime.fromisoformat(str(body["expires_at"]).replace("Z", "+00:00"))
        return _Token(token, expires.timestamp())
