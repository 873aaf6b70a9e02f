"""The GitHub clients a config describes: one place that turns URL, limits and credentials
into a :class:`~exporter.github.GitHubClient`, for the exporter, the billing source and
backfill alike."""

from __future__ import annotations

from collections.abc import Mapping

from exporter.auth import AppTokens
from exporter.config import Config
from exporter.github import ApiStats, GitHubClient, TokenProvider
from exporter.logs import register_secret


def static_token(token: str | None) -> TokenProvider:
    async def provide(_path: str) -> str | None:
        return token

    return provide


def make_client(
    config: Config,
    stats: ApiStats,
    options: Mapping[str, float] | None = None,
    *,
    token: TokenProvider | None = None,
) -> GitHubClient:
    """The client of ``config``: its URL, limits and credentials (``token``, else the
    config's token, or a GitHub App whose installation tokens are bought per org).
    ``options`` tune the client's waits (tests shorten backoffs)."""
    gh = config.github
    if token is None:
        register_secret(gh.token)
        token = (
            AppTokens(gh.app, gh.api_url, stats).token_for
            if gh.app is not None
            else static_token(gh.token)
        )
    limits = config.limits
    return GitHubClient(
        gh.api_url,
        token,
        stats=stats,
        timeout=gh.timeout,
        concurrency=gh.concurrency,
        max_retries=gh.max_retries,
        max_response_bytes=limits.max_response_bytes,
        max_download_bytes=limits.max_download_bytes,
        max_record_bytes=limits.max_record_bytes,
        deadline=limits.download_deadline,
        **dict(options or {}),
    )
