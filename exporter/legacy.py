"""The legacy metrics source (``source: legacy``): GitHub's original ``/copilot/metrics`` API.

GitHub closed these endpoints on 2026-04-02 (they answer 404 since); the source stays so
the same config and scopes work with either source wherever the endpoints still answer.
Per scope and refresh: one paginated request for the last 28 days, of which the newest day
is exported. How the nested day object becomes metrics is the ``DAY`` table below.

Example output::

    github_copilot_ide_code_suggestions{editor="vscode",language="python",model="default",\
scope="octo",scope_type="organization"} 249.0
    github_copilot_model_info{custom_model_training_date="",is_custom_model="false",\
model="default",scope="octo",scope_type="organization"} 1.0
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from exporter import metrics as m
from exporter.aggregate import Labels, Values, label, number
from exporter.config import Scope, ScopeType
from exporter.github import ApiError, GitHubClient, api_path
from exporter.source import Clock, Outcome, ScopeFailure, ScopeResult, utc_now

PER_PAGE = 100  # the API's maximum: one request covers the whole window
WINDOW_DAYS = 28  # how far back the API goes
CLOSED_ON = "2026-04-02"
MODEL_INFO = m.PREFIX + "model_info"

ENDPOINTS: Mapping[ScopeType, str] = {
    "enterprise": "/enterprises/{enterprise}/copilot/metrics",
    "enterprise_team": "/enterprises/{enterprise}/team/{team_slug}/copilot/metrics",
    "organization": "/orgs/{org}/copilot/metrics",
    "team": "/orgs/{org}/team/{team_slug}/copilot/metrics",
}

ENGAGED = "total_engaged_users"
# Fields counting people: two entries for the same key may hold the same people, so they are
# never added up (the larger is kept: a lower bound that counts nobody twice).
PEOPLE_FIELDS = frozenset({ENGAGED, "total_active_users"})


@dataclass(frozen=True)
class Level:
    """One level of the legacy day object: a section (one object) or an array of items.

    Each array item's ``name`` becomes the value of ``label``; labels accumulate down the
    tree, so a metric's labels are the names of the arrays above its field. Items labelled
    ``model`` also feed ``github_copilot_model_info``.
    """

    key: str
    label: str | None = None
    fields: tuple[tuple[str, str], ...] = ()  # (API number field, metric name sans prefix)
    children: tuple[Level, ...] = ()


_CC = "ide_code_completions_engaged_users"
_CHAT = "ide_chat_engaged_users"
_DOTCOM = "dotcom_chat_engaged_users"
_PR = "dotcom_pull_requests_engaged_users"

# Built from the leaves up; the label order of each metric is the nesting order.
_CC_MODEL_LANGUAGES = Level(
    "languages",
    "language",
    (
        (ENGAGED, f"{_CC}_by_editor_model_language"),
        ("total_code_suggestions", "ide_code_suggestions"),
        ("total_code_acceptances", "ide_code_acceptances"),
        ("total_code_lines_suggested", "ide_code_lines_suggested"),
        ("total_code_lines_accepted", "ide_code_lines_accepted"),
    ),
)
_CC_MODELS = Level(
    "models", "model", ((ENGAGED, f"{_CC}_by_editor_model"),), (_CC_MODEL_LANGUAGES,)
)
_CC_EDITORS = Level("editors", "editor", ((ENGAGED, f"{_CC}_by_editor"),), (_CC_MODELS,))
_CC_LANGUAGES = Level("languages", "language", ((ENGAGED, f"{_CC}_by_language"),))
_CHAT_MODELS = Level(
    "models",
    "model",
    (
        (ENGAGED, f"{_CHAT}_by_editor_model"),
        ("total_chats", "ide_chats"),
        ("total_chat_insertion_events", "ide_chat_insertion_events"),
        ("total_chat_copy_events", "ide_chat_copy_events"),
    ),
)
_CHAT_EDITORS = Level("editors", "editor", ((ENGAGED, f"{_CHAT}_by_editor"),), (_CHAT_MODELS,))
_DOTCOM_MODELS = Level(
    "models",
    "model",
    (
        (ENGAGED, f"{_DOTCOM}_by_model"),
        ("total_chats", "dotcom_chats"),
    ),
)
_PR_MODELS = Level(
    "models",
    "model",
    (
        (ENGAGED, f"{_PR}_by_repository_model"),
        ("total_pr_summaries_created", "dotcom_pull_request_summaries"),
    ),
)
_PR_REPOSITORIES = Level(
    "repositories", "repository", ((ENGAGED, f"{_PR}_by_repository"),), (_PR_MODELS,)
)

DAY = Level(
    "",
    None,
    (("total_active_users", "active_users"), (ENGAGED, "engaged_users")),
    (
        Level(
            "copilot_ide_code_completions", None, ((ENGAGED, _CC),), (_CC_LANGUAGES, _CC_EDITORS)
        ),
        Level("copilot_ide_chat", None, ((ENGAGED, _CHAT),), (_CHAT_EDITORS,)),
        Level("copilot_dotcom_chat", None, ((ENGAGED, _DOTCOM),), (_DOTCOM_MODELS,)),
        Level("copilot_dotcom_pull_requests", None, ((ENGAGED, _PR),), (_PR_REPOSITORIES,)),
    ),
)
"""The legacy day object: each section, its arrays, and the metric of each number field."""


def table_metrics(level: Level = DAY, labels: Labels = ()) -> dict[str, Labels]:
    """Every metric the table fills, with its label names (checked against LEGACY_SPECS)."""
    labels = (*labels, level.label) if level.label else labels
    out = {m.PREFIX + metric: labels for _, metric in level.fields}
    for child in level.children:
        out.update(table_metrics(child, labels))
    return out


# --- one day object -> values -------------------------------------------------------------


class _DayValues:
    """Accumulates one day: activity counts summed, people counts never (see PEOPLE_FIELDS)."""

    def __init__(self) -> None:
        self.values: Values = {}
        self.models: dict[str, Labels] = {}

    def walk(self, obj: Mapping[str, Any], level: Level, labels: Labels) -> None:
        for field, metric in level.fields:
            value = number(obj.get(field))
            if value is not None:
                self._add(m.PREFIX + metric, labels, value, people=field in PEOPLE_FIELDS)
        for child in level.children:
            for item, name in _items(obj.get(child.key), child):
                child_labels = labels if name is None else (*labels, name)
                if child.label == "model" and name is not None:
                    self._model(name, item)
                self.walk(item, child, child_labels)

    def _add(self, name: str, labels: Labels, value: float, *, people: bool) -> None:
        samples = self.values.setdefault(name, {})
        old = samples.get(labels)
        if old is None:
            samples[labels] = value
        else:
            samples[labels] = max(old, value) if people else old + value

    def _model(self, name: str, item: Mapping[str, Any]) -> None:
        """First sighting wins: one info series per model, or joins on it would break."""
        if name not in self.models:
            trained = label(item.get("custom_model_training_date"))
            custom = "true" if item.get("is_custom_model") is True else "false"
            self.models[name] = (name, custom, trained or "")

    def result(self) -> Values:
        if self.models:
            self.values[MODEL_INFO] = {key: 1.0 for key in self.models.values()}
        return self.values


def _items(raw: object, level: Level) -> Iterable[tuple[Mapping[str, Any], str | None]]:
    """The objects of a section (``null``, missing or odd ones give nothing), with names."""
    if level.label is None:
        if isinstance(raw, Mapping):
            yield raw, None
        return
    if not isinstance(raw, list):
        return
    for item in raw:
        if isinstance(item, Mapping):
            name = label(item.get("name"))
            if name:
                yield item, name


def day_values(day: Mapping[str, Any]) -> Values:
    """Metric values of one legacy day object, following the ``DAY`` table."""
    acc = _DayValues()
    acc.walk(day, DAY, ())
    return acc.result()


def day_of(obj: Mapping[str, Any]) -> date | None:
    """The day a legacy day object describes: its ``date`` (``2024-06-24``; an archived
    timestamp such as ``2024-06-24T00:00:00Z`` counts as its day). The live source and the
    backfill both read days here, so they cannot disagree."""
    raw = obj.get("date")
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw.strip().partition("T")[0])
    except ValueError:
        return None


def newest(days: Sequence[Mapping[str, Any]]) -> tuple[date, Mapping[str, Any]] | None:
    """The newest dated day object (the first of equals); undated objects are ignored."""
    best: tuple[date, Mapping[str, Any]] | None = None
    for obj in days:
        when = day_of(obj)
        if when is not None and (best is None or when > best[0]):
            best = (when, obj)
    return best


# --- fetching -----------------------------------------------------------------------------


def endpoint(scope: Scope) -> tuple[str, str]:
    """(metric label template, request path) of a scope's legacy endpoint."""
    template = ENDPOINTS[scope.type]
    return template, api_path(template, **scope.path_params)


def failure(scope: Scope, path: str, exc: ApiError) -> ScopeFailure:
    """A client error as a scope failure; what the legacy API means by 422 and 404 is said
    in the message, the fix comes with the reason."""
    if exc.reason == "unprocessable":
        return ScopeFailure(
            "policy_disabled",
            f"{path} answered 422 because the policy is disabled for {scope.owner_words}",
        )
    if exc.reason == "not_found":
        return ScopeFailure(
            "endpoint_closed",
            f"{path} answered 404 because GitHub closed the legacy /copilot/metrics API on "
            f"{CLOSED_ON}",
        )
    return ScopeFailure(exc.reason, str(exc))


class LegacySource:
    """Fetches the newest legacy day per scope; nothing is cached between refreshes.

    The window asked for is ``since`` = today - 28 days and ``until`` = today, both at
    00:00:00Z: the 28 complete UTC days before today (GitHub has data up to yesterday).
    """

    def __init__(
        self,
        client: GitHubClient,
        clock: Clock = utc_now,
        per_page: int = PER_PAGE,
    ) -> None:
        self._client = client
        self._clock = clock
        self._per_page = per_page

    async def refresh(self, scopes: Sequence[Scope]) -> dict[Scope, Outcome]:
        ordered = list(scopes)
        outcomes = await asyncio.gather(*(self._scope(scope) for scope in ordered))
        return dict(zip(ordered, outcomes, strict=True))

    def params(self) -> dict[str, str]:
        today = self._clock().date()
        since = today - timedelta(days=WINDOW_DAYS)
        return {
            "since": f"{since.isoformat()}T00:00:00Z",
            "until": f"{today.isoformat()}T00:00:00Z",
            "per_page": str(self._per_page),
        }

    async def _scope(self, scope: Scope) -> Outcome:
        if scope.is_wildcard:
            return ScopeFailure(
                "unsupported",
                (
                    f'team "*" of {scope.owner_words} cannot be expanded because the legacy '
                    "/copilot/metrics API cannot list teams: list the team slugs explicitly, one "
                    "scope each, or use 'source: reports'"
                ),
            )
        template, path = endpoint(scope)
        try:
            days = await self._fetch(template, path)
        except ApiError as exc:
            return failure(scope, path, exc)
        if not days:  # GitHub's answer while fewer than five members hold a license
            return ScopeResult({}, None)
        found = newest(days)
        if found is None:
            self._client.stats.failure(template, "invalid_response")
            return ScopeFailure(
                "invalid_response", f"{path} answered {len(days)} day objects, none with a date"
            )
        when, day = found
        return ScopeResult(day_values(day), when)

    async def _fetch(self, template: str, path: str) -> list[Mapping[str, Any]]:
        """Every day object of every page; a body that is not an array of objects raises."""
        days: list[Mapping[str, Any]] = []
        async for response in self._client.paginate(template, path, self.params()):
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, list) or not all(isinstance(d, Mapping) for d in body):
                raise self._client.invalid_answer(
                    template,
                    f"{path} answered something other than a JSON array of day objects",
                    response.status,
                )
            days.extend(body)
        return days
