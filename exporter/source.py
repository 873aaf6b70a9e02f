"""What every source shares: the ``Source`` protocol, its outcomes, failure reasons with the
advice that goes with each, and the clock.

The sources (reports, legacy, seats, billing) and everything downstream of them (refresh, backfill,
state file, landing page) speak these words; none of them imports another source for them.
A failure reason is a label value (``github_copilot_scope_failure{reason}``,
``github_copilot_api_request_failures_total{reason}``), so the set is closed and typed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, Literal, Protocol, get_args, runtime_checkable

from exporter.aggregate import Values
from exporter.config import Scope

Reason = Literal[
    # what the GitHub client saw
    "unauthorized",
    "forbidden",
    "not_found",
    "unprocessable",
    "rate_limited",
    "server_error",
    "client_error",
    "timeout",
    "network",
    "invalid_response",
    "link_expired",
    "pagination_loop",
    "foreign_link",
    "too_large",
    "app_auth_failed",
    # what a source concluded
    "no_data",
    "team_not_found",
    "policy_disabled",
    "endpoint_closed",
    "unsupported",
    "seats_forbidden",
    "seats_not_found",
    "billing_forbidden",
    "billing_not_found",
    # the exporter itself
    "internal_error",
]
REASONS: Final[frozenset[str]] = frozenset(get_args(Reason))

# The fix for a failure, in one clause; a log line or landing page reads "message: advice".
ADVICE: Final[Mapping[Reason, str]] = {
    "unauthorized": "the token is invalid or expired: renew it",
    "forbidden": "the token lacks the permission, or the 'Copilot usage metrics' policy is "
    "disabled: see the README's token permissions table",
    "rate_limited": "lower the refresh frequency or use a GitHub App token",
    "team_not_found": "fix the team slug in the config (GitHub leaves out teams with fewer "
    "than 5 seated members)",
    "policy_disabled": "enable the Copilot metrics API policy for this org/enterprise",
    "endpoint_closed": "switch this scope to 'source: reports'",
    "seats_forbidden": "grant the seat permission of the README's token permissions table, "
    "or turn seat metrics off with 'seats.enabled: false'",
    "seats_not_found": "check the name, or turn seat metrics off with 'seats.enabled: false'",
    "app_auth_failed": "check app_id, the private key and that the App is installed",
    "billing_forbidden": "give the billing credential the permission of the README's token "
    "permissions table (enterprises take classic PATs only: set GITHUB_BILLING_TOKEN), or "
    "turn spend metrics off with 'billing.enabled: false'",
    "billing_not_found": "an organization billed through its enterprise has no bill of its "
    "own: configure the enterprise as a scope for its spend, or turn spend metrics off with "
    "'billing.enabled: false'",
    "foreign_link": "GitHub (or a proxy in front of it) pointed to another host: check "
    "github.api_url, which is the only origin the token is sent to",
    "too_large": "if the answer is genuine, raise limits.max_response_bytes or "
    "limits.max_download_bytes",
}


def as_reason(text: object) -> Reason | None:
    """A stored reason (state file) back as a :data:`Reason`; None when unknown."""
    return text if isinstance(text, str) and text in REASONS else None  # type: ignore[return-value]


@dataclass(frozen=True)
class ScopeResult:
    """A scope's values for one report day (``None``: the source has no day to tell)."""

    values: Values
    day: date | None


@dataclass(frozen=True)
class ScopeFailure:
    """Why a scope has no new values: a reason (label value) and what happened."""

    reason: Reason
    message: str

    def describe(self) -> str:
        """What happened and, where the reason has one, how to fix it."""
        advice = ADVICE.get(self.reason)
        return f"{self.message}: {advice}" if advice else self.message


Outcome = ScopeResult | ScopeFailure


class Source(Protocol):
    """Something that turns scopes into outcomes: one call per refresh, every scope at once
    (so a source can share requests between scopes of one owner)."""

    async def refresh(self, scopes: Sequence[Scope]) -> dict[Scope, Outcome]: ...


async def per_owner(
    scopes: Sequence[Scope], fetch: Callable[[Scope], Awaitable[Outcome]], what: str
) -> dict[Scope, Outcome]:
    """Outcome per scope of a source whose data exists per owner (seats, bills): every owner
    scope asked at once (the client bounds concurrency). A team scope is not expected from
    the refresher; it gets an ``unsupported`` failure saying ``what`` it lacks, not a crash."""
    wanted = [s for s in scopes if not s.is_team]
    outcomes = await asyncio.gather(*(fetch(scope) for scope in wanted))
    result: dict[Scope, Outcome] = dict(zip(wanted, outcomes, strict=True))
    for scope in scopes:
        if scope.is_team:
            result[scope] = ScopeFailure(
                "unsupported", f"team scope {scope.name!r} has {what}: it is per owner"
            )
    return result


@runtime_checkable
class FieldDrift(Protocol):
    """A source that counts the report fields it does not map (the reports source)."""

    def unmapped_fields(self) -> Mapping[tuple[str, str], int]:
        """(report kind, field path) -> records of the current report files carrying it."""
        ...


@runtime_checkable
class Resumable(Protocol):
    """A source that can carry on from the last good results a restart restored (the state
    file), instead of fetching again what they were built from."""

    def resume(self, kept: Mapping[Scope, ScopeResult], saved: Mapping[str, Any]) -> None:
        """The restored results of this source's scopes (those that were up), and what
        :meth:`saved` gave when the state file was written (``{}`` when nothing)."""
        ...

    def saved(self) -> dict[str, Any]:
        """What the state file keeps for this source besides the scopes' results (JSON)."""
        ...


Clock = Callable[[], datetime]
"""The time now, in UTC; sources and the exporter take one so tests can fix it."""


def utc_now() -> datetime:
    return datetime.now(UTC)
