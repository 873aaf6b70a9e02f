"""The usage-metrics reports source: newest complete day per owner, teams by join.

Per owner (an enterprise or an organization) and refresh: the entity 1-day report when an
entity scope is configured, and the users-1-day × user-teams-1-day join when a team scope
is (fetched once per owner however many of its teams are configured). Parsed results are
cached by day: once day D is in, later refreshes only ask whether D+1 exists. Every record
read is also checked for fields no metric maps (:mod:`exporter.drift`).

Repository reports (``repos-1-day``) are a third kind, read only for an entity scope that
opts in (``repositories:``), right after its entity report and for the day that report
settled on: there a 204 (or no files, or a "not there yet" answer) means no repository had
activity that day, not that the day is missing. Its rows are streamed into per-repository
values, added to the entity scope's values; a failure to read them fails the scope.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any, Protocol

from exporter import aggregate
from exporter import metrics as m
from exporter.aggregate import RepositoryAccumulator, UsageAccumulator, Values
from exporter.config import OwnerRoot, Scope
from exporter.drift import Drift
from exporter.github import ApiError, GitHubClient, api_path
from exporter.parse import Record, ReportParseError, StreamParser
from exporter.source import Clock, Outcome, Reason, ScopeFailure, ScopeResult, utc_now

log = logging.getLogger(__name__)

ENTITY_KIND: Mapping[OwnerRoot, str] = {
    "enterprises": "enterprise-1-day",
    "orgs": "organization-1-day",
}
USERS_KIND = "users-1-day"
TEAMS_KIND = "user-teams-1-day"
REPOS_KIND = m.REPOS_KIND
# The record field that names whose an entity record is (GitHub's example enterprise file
# holds two enterprises' records for one day).
ID_FIELD: Mapping[OwnerRoot, str] = {"enterprises": "enterprise_id", "orgs": "organization_id"}
_LOGIN_FIELDS = ("enterprise_slug", "enterprise_login", "organization_login", "login", "slug")
_MAX_CANDIDATES = 16  # records of one day kept to choose from; a real file has one or two
_RETRYABLE: frozenset[Reason] = frozenset({"link_expired", "network", "timeout"})


@dataclass(frozen=True)
class Owner:
    """An enterprise or an organization: what one set of report files belongs to."""

    root: OwnerRoot
    name: str

    @classmethod
    def of(cls, scope: Scope) -> Owner:
        return cls(scope.owner_root, scope.owner)

    def endpoint(self, kind: str) -> tuple[str, str]:
        """(metric label template, request path) of one of the owner's report endpoints."""
        param = "enterprise" if self.root == "enterprises" else "org"
        template = f"/{self.root}/{{{param}}}/copilot/metrics/reports/{kind}"
        return template, api_path(template, **{param: self.name})

    def __str__(self) -> str:
        return f"{self.root}/{self.name}"


class Sink(Protocol):
    def add(self, record: Record) -> None: ...


@dataclass
class _EntitySink:
    day: date
    records: list[Record] = field(default_factory=list)
    count: int = 0

    def add(self, record: Record) -> None:
        self.count += 1
        record_day = record.get("day")
        if record_day in (None, self.day.isoformat()) and len(self.records) < _MAX_CANDIDATES:
            self.records.append(record)


@dataclass
class _MembersSink:
    """user-teams rows -> the teams of each user (only the teams asked for, or all)."""

    wanted: frozenset[str] | None
    day: str
    teams: dict[str, None] = field(default_factory=dict)  # slugs, in first-seen order
    teams_of: dict[object, list[str]] = field(default_factory=dict)
    id_field: str = ""
    ids: set[str] = field(default_factory=set)  # the owner's id, as its rows give it

    def add(self, record: Record) -> None:
        if record.get("day", self.day) != self.day:
            return
        ident = record.get(self.id_field) if self.id_field else None
        if isinstance(ident, str | int) and len(self.ids) < _MAX_CANDIDATES:
            self.ids.add(str(ident))
        slug = aggregate.label(record.get("slug") or record.get("team_slug"))
        user = user_key(record)
        if not slug or user is None:
            return
        if self.wanted is not None and slug.lower() not in self.wanted:
            return
        slug = sys.intern(slug)  # one string for every member's list
        self.teams.setdefault(slug, None)
        slugs = self.teams_of.get(user)
        if slugs is None:
            self.teams_of[user] = [slug]
        elif slug not in slugs:  # a user is in a handful of teams: a list is enough
            slugs.append(slug)


@dataclass
class _UsersSink:
    """users-1-day rows, each flattened once and added to every team of that user.

    It also notes which of the newer fields (``aggregate.PRESENCE_FIELDS``) any row carries
    with a value: a team without use of a surface exports 0 only when the report shows the
    surface at all, and nothing on older days that lack it. The owner's own sums take only
    what its entity report lacks (its activity comes from that report).
    """

    teams_of: Mapping[object, list[str]]
    day: str
    entity: bool
    teams: dict[str, UsageAccumulator] = field(default_factory=dict)
    owner: UsageAccumulator = field(default_factory=lambda: UsageAccumulator(activity=False))
    unseen: set[str] = field(default_factory=lambda: set(aggregate.PRESENCE_FIELDS))
    keys: aggregate.KeyCache = field(default_factory=dict)

    @property
    def present(self) -> frozenset[str]:
        return aggregate.PRESENCE_FIELDS - self.unseen

    def add(self, record: Record) -> None:
        if record.get("day", self.day) != self.day:
            return
        if self.unseen:
            found = [f for f in self.unseen if record.get(f) is not None]
            if found:
                self.unseen.difference_update(found)
        user = user_key(record)
        if user is None:
            return
        slugs = self.teams_of.get(user, ())
        if slugs:
            keys, values = aggregate.keyed_activity(record, self.keys)
            for slug in slugs:
                acc = self.teams.get(slug)
                if acc is None:
                    acc = self.teams[slug] = UsageAccumulator()
                acc.add_keyed(user, record, keys, values)
        if self.entity:
            self.owner.add_keyed(user, record, [], [])


@dataclass
class _ReposSink:
    """repos-1-day rows of one day into per-repository values."""

    day: str
    repositories: RepositoryAccumulator = field(default_factory=RepositoryAccumulator)

    def add(self, record: Record) -> None:
        if record.get("day", self.day) == self.day:
            self.repositories.add(record)


def _found_by(found: Scope, wildcard: Scope) -> bool:
    """A team a ``team: "*"`` scope found."""
    return (
        found.is_team
        and not found.is_wildcard
        and (found.type, found.owner, found.source)
        == (wildcard.type, wildcard.owner, wildcard.source)
    )


def user_key(record: Mapping[str, Any]) -> object:
    user = record.get("user_id")
    if isinstance(user, int | str) and not isinstance(user, bool):
        return user
    login = record.get("user_login")
    return f"login:{login}" if isinstance(login, str) and login else None


@dataclass(frozen=True)
class _Entity:
    day: date
    values: Values  # the first record's
    # Several records for the day: values by record id, and the id of the record whose
    # login field names the owner, if one does.
    alternatives: Mapping[str, Values] = field(default_factory=dict)
    named: str | None = None


@dataclass(frozen=True)
class _Repos:
    day: date
    values: Values


@dataclass(frozen=True)
class _Teams:
    day: date
    teams: Mapping[str, Values]
    owner_users: Values | None
    wanted: frozenset[str] | None
    # What a ``team: "*"`` scope found in these reports, by wildcard scope.
    found: dict[Scope, dict[Scope, Outcome]] = field(default_factory=dict, compare=False)


class ReportsSource:
    """Fetches and caches the reports for a set of scopes; one instance per exporter."""

    def __init__(
        self, client: GitHubClient, clock: Clock = utc_now, drift: Drift | None = None
    ) -> None:
        self._client = client
        self._clock = clock
        self._entities: dict[Owner, _Entity] = {}
        self._teams: dict[Owner, _Teams] = {}
        self._repos: dict[Owner, _Repos] = {}
        self.drift = drift or Drift()
        self._owner_ids: dict[Owner, str] = {}  # learnt from the users reports
        self._warned: set[tuple[Owner, frozenset[str]]] = set()
        # Results a restart restored, per owner, until a newer day replaces them.
        self._resumed: dict[Owner, dict[Scope, ScopeResult]] = {}
        # An entity scope's values are built from several cached parts; built once per set
        # of parts, so a refresh that found nothing new hands back the very same values.
        self._built: dict[tuple[Owner, bool], tuple[tuple[object, ...], Outcome]] = {}

    def resume(self, kept: Mapping[Scope, ScopeResult], saved: Mapping[str, Any]) -> None:
        """Carry on from restored results: an owner whose scopes all have one asks GitHub
        only for a day newer than theirs, and downloads nothing until there is one; the
        unmapped fields of the files behind them are counted as they were."""
        self._resumed = {}
        for scope, result in kept.items():
            if result.day is not None:
                self._resumed.setdefault(Owner.of(scope), {})[scope] = result
        if "drift" in saved:
            try:
                self.drift.restore(saved["drift"], {str(owner) for owner in self._resumed})
            except ValueError as exc:
                log.warning("state file: unmapped-field counts ignored", extra={"err": str(exc)})

    def saved(self) -> dict[str, Any]:
        return {"drift": self.drift.saved()}

    def unmapped_fields(self) -> dict[tuple[str, str], int]:
        """Records carrying fields the exporter does not map, by (report kind, field)."""
        return self.drift.unmapped_fields()

    async def refresh(self, scopes: Sequence[Scope]) -> dict[Scope, Outcome]:
        """Outcome per scope for the newest day; a wildcard team scope yields one entry per
        team it found."""
        return await self.fetch(scopes, None)

    async def fetch(self, scopes: Iterable[Scope], day: date | None) -> dict[Scope, Outcome]:
        """Outcomes for one given day (backfill; bypasses the cache) or, with None, the
        newest day."""
        by_owner: dict[Owner, list[Scope]] = {}
        for scope in scopes:
            by_owner.setdefault(Owner.of(scope), []).append(scope)
        results = await asyncio.gather(
            *(self._owner(owner, owned, day) for owner, owned in by_owner.items())
        )
        outcomes: dict[Scope, Outcome] = {}
        for result in results:
            outcomes.update(result)
        return outcomes

    async def _owner(
        self, owner: Owner, scopes: list[Scope], day: date | None
    ) -> dict[Scope, Outcome]:
        if day is None and owner in self._resumed:
            resumed = await self._guard(self._resume(owner, scopes))
            if isinstance(resumed, ScopeFailure):  # could not ask: try again next time
                return dict.fromkeys(scopes, resumed)
            if resumed is not None:
                return resumed  # type: ignore[no-any-return]
            del self._resumed[owner]  # a newer day, or a scope without one: read them
        entity_scopes = [s for s in scopes if not s.is_team]
        team_scopes = [s for s in scopes if s.is_team]
        repositories = any(s.repositories is not None for s in entity_scopes)
        tasks: list[asyncio.Task[Any]] = []
        async with asyncio.TaskGroup() as group:
            if entity_scopes:
                tasks.append(group.create_task(self._entity_first(owner, day, repositories)))
            if team_scopes:
                tasks.append(
                    group.create_task(
                        self._guard(
                            self._team_join(owner, team_scopes, day, entity=bool(entity_scopes))
                        )
                    )
                )
        outcomes: dict[Scope, Outcome] = {}
        entity, repos = tasks[0].result() if entity_scopes else (None, None)
        teams: _Teams | ScopeFailure | None = tasks[-1].result() if team_scopes else None
        for scope in entity_scopes:
            with_repos = scope.repositories is not None
            parts = (entity, teams if isinstance(teams, _Teams) else None, with_repos and repos)
            built = self._built.get((owner, with_repos))
            if built is None or any(a is not b for a, b in zip(built[0], parts, strict=True)):
                outcome = self._entity_outcome(owner, entity, teams)
                if with_repos:
                    outcome = self._with_repositories(outcome, repos)
                built = self._built[(owner, with_repos)] = (parts, outcome)
            outcomes[scope] = built[1]
        for scope in team_scopes:
            outcomes.update(self._team_outcomes(scope, teams))
        return outcomes

    async def _resume(self, owner: Owner, scopes: list[Scope]) -> dict[Scope, Outcome] | None:
        """The restored results of the owner's scopes while no newer day is out; None when
        there is one, or a scope has no restored result of a day (then all are read)."""
        kept = self._resumed[owner]
        found: dict[Scope, ScopeResult] = {}
        for scope in scopes:
            mine = [s for s in kept if s == scope or (scope.is_wildcard and _found_by(s, scope))]
            if not mine:
                return None
            found.update((s, kept[s]) for s in mine)
        for team in (False, True):
            days = {r.day for s, r in found.items() if s.is_team == team}
            if len(days) > 1:
                return None
            for have in days:
                assert have is not None
                for candidate in self._candidates(have):
                    kinds = (USERS_KIND, TEAMS_KIND) if team else (ENTITY_KIND[owner.root],)
                    for kind in kinds:
                        if await self.links(owner, kind, candidate) is None:
                            break
                    else:  # every report of that newer day is out: read them
                        return None
        return dict(found)

    def _entity_outcome(
        self,
        owner: Owner,
        entity: _Entity | ScopeFailure | None,
        teams: _Teams | ScopeFailure | None,
    ) -> Outcome:
        if isinstance(entity, ScopeFailure) or entity is None:
            return entity or ScopeFailure("no_data", "no entity report")
        values = self._choose(owner, entity)
        if isinstance(teams, _Teams) and teams.owner_users is not None and teams.day == entity.day:
            values = aggregate.merge_entity_and_users(values, teams.owner_users)
        return ScopeResult(values, entity.day)

    def _choose(self, owner: Owner, entity: _Entity) -> Values:
        """The owner's record of a day that holds several: the one with the owner's id (as
        its users reports give it), else the one naming the owner; else the first, with one
        warning naming the ids."""
        if not entity.alternatives:
            return entity.values
        known = self._owner_ids.get(owner)
        chosen = known if known in entity.alternatives else entity.named
        if chosen is not None:
            return entity.alternatives[chosen]
        ids = frozenset(entity.alternatives)
        if (owner, ids) not in self._warned:
            self._warned.add((owner, ids))
            first = next(iter(entity.alternatives))
            log.warning(
                "%s holds %d records for %s (%s %s) and none is known to be %s's: exporting "
                "the first; a team scope of this owner lets the exporter learn its id",
                ENTITY_KIND[owner.root],
                len(ids),
                entity.day,
                ID_FIELD[owner.root],
                ", ".join(entity.alternatives),
                owner,
                extra={"owner": str(owner), "exported": first},
            )
        return entity.values

    @staticmethod
    def _with_repositories(outcome: Outcome, repos: _Repos | ScopeFailure | None) -> Outcome:
        if isinstance(outcome, ScopeFailure) or repos is None:
            return outcome
        if isinstance(repos, ScopeFailure):
            return ScopeFailure(repos.reason, f"{REPOS_KIND}: {repos.message}")
        return ScopeResult({**outcome.values, **repos.values}, outcome.day)

    @staticmethod
    def _team_outcomes(scope: Scope, teams: _Teams | ScopeFailure | None) -> dict[Scope, Outcome]:
        if isinstance(teams, ScopeFailure) or teams is None:
            return {scope: teams or ScopeFailure("no_data", "no team report")}
        if scope.is_wildcard:
            found = teams.found.get(scope)
            if found is None:  # once per report day: each refresh then hands back the same
                found = teams.found[scope] = {
                    scope.with_team(slug): ScopeResult(values, teams.day)
                    for slug, values in sorted(teams.teams.items())
                }
            return found
        assert scope.team is not None
        values = teams.teams.get(scope.team)
        if values is None:  # the config may spell the slug in another case
            values = next(
                (v for slug, v in teams.teams.items() if slug.lower() == scope.team.lower()), None
            )
        if values is None:
            return {
                scope: ScopeFailure(
                    "team_not_found",
                    f"team {scope.team!r} is not in the user-teams report of {teams.day}",
                )
            }
        return {scope: ScopeResult(values, teams.day)}

    @staticmethod
    async def _guard(work: Any) -> Any:
        try:
            return await work
        except ApiError as exc:
            return ScopeFailure(exc.reason, str(exc))
        except ReportParseError as exc:
            return ScopeFailure("invalid_response", f"report file unreadable: {exc}")
        except Exception as exc:  # a bug: this owner's scopes fail, every other goes on
            log.exception("reading reports failed unexpectedly")
            return ScopeFailure("internal_error", f"{type(exc).__name__}: {exc}")

    # -- fetching -------------------------------------------------------------------------

    def _candidates(self, have: date | None) -> list[date]:
        """Yesterday, then the day before (data lands within two full UTC days)."""
        yesterday = self._clock().date() - timedelta(days=1)
        days = [yesterday, yesterday - timedelta(days=1)]
        return [d for d in days if have is None or d > have]

    async def links(self, owner: Owner, kind: str, day: date) -> list[str] | None:
        """The signed download links of one report day; None when it is not there (204/404,
        or no links)."""
        template, path = owner.endpoint(kind)
        response = await self._client.get(
            template, path, {"day": day.isoformat()}, ok=(200, 204, 404)
        )
        if response.status in (204, 404):
            return None
        try:
            body = response.json()
            if isinstance(body, str):  # "Report is being generated": not there yet, like 204
                log.debug("report not there yet", extra={"report": kind, "answer": body[:100]})
                return None
            links = body["download_links"]
        except (ValueError, KeyError, TypeError):
            raise self._client.invalid_answer(
                template, f"{template}: answer has no download_links", response.status
            ) from None
        if links == []:  # a report with no files is a day that is not there (yet)
            return None
        if not isinstance(links, list) or not all(isinstance(u, str) for u in links):
            raise self._client.invalid_answer(
                template, f"{template}: download_links is not a list of URLs", response.status
            )
        return links

    async def read(
        self, owner: Owner, kind: str, day: date, links: list[str], make_sink: Callable[[], Sink]
    ) -> Sink:
        """Download every part into a fresh sink; once, on an expired link or a broken
        transfer, ask for fresh links and start over."""
        for attempt in (1, 2):
            sink = make_sink()
            census = self.drift.census(kind)
            parser = StreamParser(self._client.max_record_bytes)
            try:
                for url in links:
                    async for chunk in self._client.download(url):
                        for record in parser.feed(chunk):
                            sink.add(record)
                            census.see(record)
                for record in parser.close():
                    sink.add(record)
                    census.see(record)
                self.drift.commit(str(owner), kind, census)
                return sink
            except ApiError as exc:
                if attempt == 2 or exc.reason not in _RETRYABLE:
                    raise
                log.info(
                    "download failed; asking for fresh links",
                    extra={"report": kind, "owner": str(owner), "reason": exc.reason},
                )
                fresh = await self.links(owner, kind, day)
                if fresh is None:
                    raise ApiError("not_found", f"{kind} for {day} vanished") from None
                links = fresh
            except ReportParseError:
                self._client.stats.failure("report_download", "invalid_response")
                raise
        raise AssertionError("unreachable")

    async def _entity(self, owner: Owner, only: date | None) -> _Entity:
        kind = ENTITY_KIND[owner.root]
        cached = self._entities.get(owner) if only is None else None
        for day in [only] if only else self._candidates(cached.day if cached else None):
            links = await self.links(owner, kind, day)
            if links is None:
                continue
            sink = await self.read(owner, kind, day, links, partial(_EntitySink, day))
            assert isinstance(sink, _EntitySink)
            if not sink.records:
                raise ApiError(
                    "invalid_response",
                    f"{kind} for {day} holds no record of that day ({sink.count} records)",
                )
            cached = _entity(owner, day, sink.records)
            if only is None:
                self._entities[owner] = cached
            break
        if cached is None:
            raise ApiError("no_data", f"no {kind} report for {self._missing(only)}")
        return cached

    async def _entity_first(
        self, owner: Owner, only: date | None, repositories: bool
    ) -> tuple[_Entity | ScopeFailure, _Repos | ScopeFailure | None]:
        """The entity report, then (when asked) the repositories of the day it settled on."""
        entity = await self._guard(self._entity(owner, only))
        if not repositories or not isinstance(entity, _Entity):
            return entity, None
        return entity, await self._guard(self._repositories(owner, entity.day, only is None))

    async def _repositories(self, owner: Owner, day: date, cache: bool) -> _Repos:
        """repos-1-day of ``day``; no report means no repository activity that day. A day
        with rows is read once; an empty one is asked again (its rows may come later)."""
        cached = self._repos.get(owner) if cache else None
        if cached is not None and cached.day == day:
            return cached
        links = await self.links(owner, REPOS_KIND, day)
        if links is None:
            self.drift.commit(str(owner), REPOS_KIND, self.drift.census(REPOS_KIND))
            return _Repos(day, {})
        iso = day.isoformat()
        sink = await self.read(owner, REPOS_KIND, day, links, lambda: _ReposSink(iso))
        assert isinstance(sink, _ReposSink)
        repos = _Repos(day, sink.repositories.values)
        if cache:
            self._repos[owner] = repos
        return repos

    async def _team_join(
        self, owner: Owner, scopes: list[Scope], only: date | None, *, entity: bool
    ) -> _Teams:
        wanted = (
            None
            if any(s.is_wildcard for s in scopes)
            else frozenset(s.team.lower() for s in scopes if s.team)
        )  # slugs are lower case; configs vary
        cached = self._teams.get(owner) if only is None else None
        if cached is not None and (
            cached.wanted != wanted or (entity and cached.owner_users is None)
        ):
            cached = None
        for day in [only] if only else self._candidates(cached.day if cached else None):
            team_links, user_links = await asyncio.gather(
                self.links(owner, TEAMS_KIND, day), self.links(owner, USERS_KIND, day)
            )
            if team_links is None or user_links is None:
                continue
            cached = await self._join(owner, day, team_links, user_links, wanted, entity)
            if only is None:
                self._teams[owner] = cached
            break
        if cached is None:
            raise ApiError(
                "no_data", f"no {USERS_KIND} and {TEAMS_KIND} reports for {self._missing(only)}"
            )
        return cached

    def _missing(self, only: date | None) -> str:
        return str(only) if only else f"{self._candidates(None)[0]} or the day before yet"

    async def _join(
        self,
        owner: Owner,
        day: date,
        team_links: list[str],
        user_links: list[str],
        wanted: frozenset[str] | None,
        entity: bool,
    ) -> _Teams:
        """user-teams first (small), then users-1-day streamed into per-team sums."""
        iso = day.isoformat()
        members = await self.read(
            owner,
            TEAMS_KIND,
            day,
            team_links,
            lambda: _MembersSink(wanted, iso, id_field=ID_FIELD[owner.root]),
        )
        assert isinstance(members, _MembersSink)
        if len(members.ids) == 1:
            self._owner_ids[owner] = next(iter(members.ids))
        users = await self.read(
            owner,
            USERS_KIND,
            day,
            user_links,
            lambda: _UsersSink(members.teams_of, iso, entity),
        )
        assert isinstance(users, _UsersSink)
        present = users.present
        teams = {
            slug: users.teams.get(slug, UsageAccumulator()).result(present)
            for slug in members.teams
        }
        return _Teams(day, teams, users.owner.result(present) if entity else None, wanted)


def _entity(owner: Owner, day: date, records: list[Record]) -> _Entity:
    """A day's entity values; with several records (of several owners), each one's."""
    first = aggregate.entity_values(records[0])
    if len(records) == 1:
        return _Entity(day, first)
    alternatives: dict[str, Values] = {}
    named = None
    for index, record in enumerate(records):
        ident = record.get(ID_FIELD[owner.root])
        key = str(ident) if isinstance(ident, str | int) else f"#{index + 1}"
        if key in alternatives:
            continue
        alternatives[key] = first if index == 0 else aggregate.entity_values(record)
        logins = (record.get(f) for f in _LOGIN_FIELDS)
        if named is None and any(
            isinstance(v, str) and v.lower() == owner.name.lower() for v in logins
        ):
            named = key
    return _Entity(day, first, alternatives if len(alternatives) > 1 else {}, named)


# --- the users with the most AI credits (per-user spend asks about them) ------------------


@dataclass
class _TopSink:
    """users-1-day rows -> the ``n`` logins with the most ``ai_credits_used`` (a heap of n)."""

    n: int
    day: str
    heap: list[tuple[float, str]] = field(default_factory=list)

    def add(self, record: Record) -> None:
        if record.get("day", self.day) != self.day:
            return
        login = aggregate.label(record.get("user_login"))
        credits = aggregate.number(record.get("ai_credits_used"))
        if not login or credits is None or not 0 < credits < math.inf:
            return
        entry = (credits, login)
        if len(self.heap) < self.n:
            heapq.heappush(self.heap, entry)
        elif entry > self.heap[0]:
            heapq.heapreplace(self.heap, entry)

    def top(self) -> list[str]:
        """Most credits first; ties by login."""
        return [login for _, login in sorted(self.heap, key=lambda e: (-e[0], e[1]))]


class CreditRanking:
    """Who gets a ``user`` label: the users with the most AI credits on an owner's newest
    users-1-day report (a usage signal, read with the metrics credential once per report
    day), so per-user spend costs N requests whatever the size of the enterprise."""

    def __init__(self, reports: ReportsSource, clock: Clock = utc_now) -> None:
        self._reports = reports
        self._clock = clock
        self._ranked: dict[Owner, tuple[date, list[str]]] = {}

    async def top(self, scope: Scope, n: int) -> list[str]:
        """The ``n`` logins, most credits first; none while no report is published."""
        owner = Owner.of(scope)
        cached = self._ranked.get(owner)
        yesterday = self._clock().date() - timedelta(days=1)
        for day in (yesterday, yesterday - timedelta(days=1)):
            if cached is not None and cached[0] >= day:
                break
            links = await self._reports.links(owner, USERS_KIND, day)
            if links is None:
                continue
            sink = await self._reports.read(
                owner, USERS_KIND, day, links, partial(_TopSink, n, day.isoformat())
            )
            assert isinstance(sink, _TopSink)
            cached = self._ranked[owner] = (day, sink.top())
            break
        return cached[1][:n] if cached is not None else []
