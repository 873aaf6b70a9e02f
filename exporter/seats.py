"""Seats and licences (placeholder until its issue lands)."""

from __future__ import annotations

from exporter.config import Scope
from exporter.github import GitHubClient
from exporter.reports import Outcome, ScopeFailure


class SeatsSource:
    def __init__(self, client: GitHubClient) -> None:
        self._client = client

    async def refresh(self, scopes: list[Scope]) -> dict[Scope, Outcome]:
        return {s: ScopeFailure("not_implemented", "seats not implemented yet") for s in scopes}
