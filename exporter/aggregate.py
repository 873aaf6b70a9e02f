"""Turn report records into metric values, following the table in :mod:`exporter.metrics`.

``Values`` maps a metric name to its samples (dimension label values -> value); scope labels
are added by the collector. A field that is missing or not a number gives no sample, never
an error: the API adds and drops fields over time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Set
from operator import itemgetter
from typing import Any

from exporter import metrics as m

Labels = tuple[str, ...]
Values = dict[str, dict[Labels, float]]
Flat = list[tuple[str, Labels, float]]
_NO_LABELS: Labels = ()


def number(value: object) -> float | None:
    """A JSON number as float; booleans, strings and nulls are not numbers here."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def label(value: object) -> str | None:
    """A label value: strings are trimmed, numbers kept as text, anything else dropped."""
    if type(value) is str:
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _dig(obj: Mapping[str, Any], path: Iterable[str]) -> object:
    current: object = obj
    for key in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def _getter(fields: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """All ``fields`` of a mapping as a tuple, in one C-level call (KeyError if one lacks)."""
    if len(fields) == 1:
        return lambda mapping: (mapping[fields[0]],)
    return itemgetter(*fields)


# The mapping tables resolved once: (field, metric name) pairs, per breakdown array.
Key = tuple[str, Labels]  # (metric name, label values): one sample of a scope
_COUNTER_KEYS = tuple((c.field, (m.PREFIX + c.metric, _NO_LABELS)) for c in m.COUNTERS)
if any(len(b.keys) not in (1, 2) for b in m.BREAKDOWNS):  # what _breakdown reads
    raise ValueError("a breakdown of the metric table has more than two label fields")
_BREAKDOWN_METRICS = tuple(
    (
        b.array,
        tuple(field for field, _ in b.keys),
        tuple(b.counters),
        tuple(b.metric(m.COUNTER_BY_FIELD[field]) for field in b.counters),
        _getter(b.counters),
    )
    for b in m.BREAKDOWNS
)
_COUNTERS_GETTER = _getter(tuple(field for field, _ in _COUNTER_KEYS))
_COUNTERS_KEYS = tuple(key for _, key in _COUNTER_KEYS)
_NUMBER_TYPES = frozenset((int, float))
_SURFACE_KEYS = tuple(
    (o.object, tuple((path, (m.PREFIX + metric, _NO_LABELS)) for path, metric, _ in o.fields))
    for o in m.SURFACE_OBJECTS
)
_THIRD_PARTY_METRICS = tuple(
    (field, m.PREFIX + metric) for field, metric, _ in m.THIRD_PARTY_FIELDS
)
_CUSTOMISATION_METRICS = tuple((c.array, c.key, m.PREFIX + c.metric) for c in m.CLI_CUSTOMISATIONS)
_CREDITS_KEY: Key = (m.AI_CREDITS_METRIC, _NO_LABELS)
_NUMBER = (int, float)
_CLI = "totals_by_cli"
KeyCache = dict[tuple[object, ...], tuple[Key, ...]]
"""Breakdown entry labels -> the keys of its counters, kept while one file is read: rows
share their key tuples (less to build per row, one copy in every team's sums)."""


def flatten_activity(record: Mapping[str, Any]) -> Flat:
    """The summable part of an entity or user record: counters, breakdowns, the surfaces'
    sums (CLI, Copilot app, VS Code Agents window, third-party agents, CLI customisation),
    credits."""
    keys, values = keyed_activity(record, {})
    return [(key[0], key[1], value) for key, value in zip(keys, values, strict=True)]


def keyed_activity(record: Mapping[str, Any], cache: KeyCache) -> tuple[list[Key], list[float]]:
    """:func:`flatten_activity` as parallel lists of keys and values, keys shared through
    ``cache``. Computed once per user row, then added to each of the user's teams: the hot
    loop of a refresh, hence the inlined checks."""
    keys: list[Key] = []
    values: list[float] = []
    _numbers(record, _COUNTERS_GETTER, _COUNTERS_KEYS, _COUNTER_KEYS, keys, values)
    for index, (array, key_fields, fields, metrics, getter) in enumerate(_BREAKDOWN_METRICS):
        entries = record.get(array)
        if type(entries) is list:
            _breakdown(index, entries, key_fields, fields, metrics, getter, cache, keys, values)
    for obj, paths in _SURFACE_KEYS:
        sums = record.get(obj)
        if type(sums) is dict:
            for path, key in paths:
                value = number(_dig(sums, path))
                if value is not None:
                    keys.append(key)
                    values.append(value)
    _third_party_sums(record.get(m.THIRD_PARTY_ARRAY), keys, values)
    _customisation_sums(record, keys, values)
    credits_used = number(record.get("ai_credits_used"))
    if credits_used is not None:
        keys.append(_CREDITS_KEY)
        values.append(credits_used)
    return keys, values


def _numbers(
    source: Mapping[str, Any],
    getter: Callable[[Mapping[str, Any]], tuple[Any, ...]],
    all_keys: tuple[Key, ...],
    fields: Iterable[tuple[str, Key]],
    keys: list[Key],
    values: list[float],
) -> None:
    """The number fields of a record or entry with their keys. Rows usually carry every
    field as a number: those take C-level calls (one lookup of all fields, one type check,
    one conversion); any other row the loop, which leaves out what is not a number."""
    try:
        found = getter(source)
    except KeyError:
        found = None
    if found is not None and _NUMBER_TYPES.issuperset(map(type, found)):
        keys.extend(all_keys)
        values.extend(map(float, found))
        return
    for field, key in fields:
        value = source.get(field)
        if type(value) in _NUMBER:
            keys.append(key)
            values.append(float(value))  # type: ignore[arg-type]


def _breakdown(
    index: int,
    entries: list[Any],
    key_fields: tuple[str, ...],
    fields: tuple[str, ...],
    metrics: tuple[str, ...],
    getter: Callable[[Mapping[str, Any]], tuple[Any, ...]],
    cache: KeyCache,
    keys: list[Key],
    values: list[float],
) -> None:
    """One ``totals_by_*`` array (one or two label fields): each entry's counters under its
    labels."""
    first = key_fields[0]
    second = key_fields[1] if len(key_fields) == 2 else None
    for entry in entries:
        if type(entry) is not dict:
            continue
        a = entry.get(first)
        if second is None:
            raw: tuple[object, ...] = (index, a)
            textual = type(a) is str
        else:
            b = entry.get(second)
            raw = (index, a, b)
            textual = type(a) is str and type(b) is str
        # text hashes; other values (numbers, or lists: unhashable) are rare and not kept
        counted = cache.get(raw) if textual else None
        if counted is None:
            labels = tuple(label(v) for v in raw[1:])
            if None in labels:
                continue
            counted = tuple((metric, labels) for metric in metrics)  # type: ignore[misc]
            if textual:
                cache[raw] = counted
        _numbers(entry, getter, counted, zip(fields, counted, strict=True), keys, values)


def in_record_or_cli(record: Mapping[str, Any], field: str) -> object:
    """A CLI customisation field: at the top of the record (GitHub's example), else inside
    ``totals_by_cli`` (the changelog's description)."""
    value = record.get(field)
    if value is None:
        cli = record.get(_CLI)
        if type(cli) is dict:
            value = cli.get(field)
    return value


def _customisation_sums(record: Mapping[str, Any], keys: list[Key], values: list[float]) -> None:
    for array, key, metric in _CUSTOMISATION_METRICS:
        entries = in_record_or_cli(record, array)
        if type(entries) is not list:
            continue
        for entry in entries:
            if type(entry) is not dict:
                continue
            name = label(entry.get(key))
            if name is None:
                name = label(entry.get(m.CLI_CUSTOMISATION_NAME))
            value = number(entry.get(m.CLI_CUSTOMISATION_COUNT))
            if value is None:
                value = number(entry.get(m.CLI_CUSTOMISATION_COUNT_OLD))
            if name is not None and value is not None:
                keys.append((metric, (name,)))
                values.append(value)


def _third_party_sums(entries: object, keys: list[Key], values: list[float]) -> None:
    """Per agent_id; the interaction count is job starts and stays out of the totals."""
    if type(entries) is not list:
        return
    for entry in entries:
        if type(entry) is not dict:
            continue
        agent = _number_label(entry.get(m.THIRD_PARTY_KEY))
        if not agent:
            continue
        for field, metric in _THIRD_PARTY_METRICS:
            value = number(entry.get(field))
            if value is not None:
                keys.append((metric, (agent,)))
                values.append(value)


def agent_names(entries: object) -> Iterator[tuple[str, str]]:
    """(agent_id, agent_name) of each ``totals_by_3rd_party_agent`` entry with an id."""
    if type(entries) is not list:
        return
    for entry in entries:
        if type(entry) is dict:
            agent = _number_label(entry.get(m.THIRD_PARTY_KEY))
            if agent:
                yield agent, label(entry.get(m.THIRD_PARTY_NAME)) or ""


def _number_label(value: object) -> str | None:
    """A number as a label value the way it reads: 2 and 2.0 are both "2"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return label(value)


def phase_labels(phase: object) -> Labels | None:
    """(phase, phase_number) of an ``ai_adoption_phase`` object or a per-phase entry; a
    missing one of the two is an empty label, both missing is None. A bare name or number
    in place of the object is taken for what it is."""
    if type(phase) is str:
        return (phase.strip(), "")
    if type(phase) is int:
        return ("", str(phase))
    if type(phase) is not dict:
        return None
    name = label(phase.get("phase"))
    position = _number_label(phase.get("phase_number"))
    if name is None and position is None:
        return None
    return (name or "", position or "")


def add_flat(values: Values, flat: Flat) -> None:
    for name, labels, value in flat:
        samples = values.setdefault(name, {})
        samples[labels] = samples.get(labels, 0.0) + value


def entity_values(record: Mapping[str, Any]) -> Values:
    """Values of one enterprise or organization day record (``day_totals[]`` entry)."""
    values: Values = {}
    add_flat(values, flatten_activity(record))
    for field, metric, _ in m.USER_COUNTS:
        value = number(record.get(field))
        if value is not None:
            values[m.PREFIX + metric] = {_NO_LABELS: value}
    cli_users = number(record.get(m.CLI_USERS_FIELD))
    values[m.PREFIX + m.CLI_USERS_FIELD] = {_NO_LABELS: cli_users or 0.0}
    review: dict[Labels, float] = {}
    for window in m.CODE_REVIEW_WINDOWS:
        for engagement in m.CODE_REVIEW_ENGAGEMENTS:
            value = number(record.get(f"{window}_{engagement}_copilot_code_review_users"))
            if value is not None:
                review[(window, engagement)] = value
    if review:
        values[m.CODE_REVIEW_METRIC] = review
    prs = record.get("pull_requests")
    if isinstance(prs, Mapping):
        _pull_request_values(prs, values)
    _surface_values(record, values)
    return values


def _surface_values(record: Mapping[str, Any], values: Values) -> None:
    """What only entity reports give of the surfaces GitHub added: their user counts,
    distinct CLI customisations, adoption phases, the third-party agents' names."""
    for users in m.SURFACE_USERS:
        value = number(record.get(users.field))
        if value is not None:
            values[m.PREFIX + users.metric] = {_NO_LABELS: value}
    for custom in m.CLI_CUSTOMISATIONS:
        value = number(in_record_or_cli(record, custom.distinct_field))
        if value is not None:
            values[m.PREFIX + custom.distinct_metric] = {_NO_LABELS: value}
    _adoption_values(record.get(m.ADOPTION_ARRAY), values)
    names: dict[str, str] = {}
    for agent, name in agent_names(record.get(m.THIRD_PARTY_ARRAY)):
        names.setdefault(agent, name)
    if names:
        values[m.THIRD_PARTY_INFO] = {item: 1.0 for item in names.items()}


def _adoption_values(entries: object, values: Values) -> None:
    if type(entries) is not list:
        return
    users: dict[Labels, float] = {}
    averages: dict[Labels, float] = {}
    for entry in entries:
        phase = phase_labels(entry) if type(entry) is dict else None
        if phase is None:
            continue
        engaged = number(entry.get(m.ADOPTION_ENGAGED))
        if engaged is not None:
            users[phase] = users.get(phase, 0.0) + engaged
        for field, raw in entry.items():
            measure = m.adoption_measure(field)
            value = number(raw)
            if measure is not None and value is not None:
                averages.setdefault((*phase, measure[0]), value * measure[1])
    if users:
        values[m.ADOPTION_USERS] = users
    if averages:
        values[m.ADOPTION_AVERAGE] = averages


def _pull_request_values(prs: Mapping[str, Any], values: Values) -> None:
    for field, metric, _ in m.PR_FIELDS:
        value = number(prs.get(field))
        if value is not None:
            values[m.PREFIX + metric] = {_NO_LABELS: value}
    medians: dict[Labels, float] = {}
    for field, author in m.PR_MEDIANS:
        value = number(prs.get(field))
        if value is not None:
            medians[(author,)] = value * 60.0
    if medians:
        values[m.PR_MEDIAN_METRIC] = medians
    by_type = prs.get("copilot_suggestions_by_comment_type")
    if isinstance(by_type, list):
        for entry in by_type:
            if not isinstance(entry, Mapping):
                continue
            comment_type = label(entry.get("comment_type"))
            if comment_type is None:
                continue
            for field, metric in m.PR_BY_COMMENT_TYPE:
                value = number(entry.get(field))
                if value is not None:
                    samples = values.setdefault(m.PREFIX + metric, {})
                    samples[(comment_type,)] = samples.get((comment_type,), 0.0) + value


# Per-user flags whose distinct users make a count: (flags, first non-null wins; metric).
_SURFACE_FLAGS = tuple((u.flags, m.PREFIX + u.metric) for u in m.SURFACE_USERS if u.flags)
#: Fields whose presence (not null) anywhere in a users report decides whether a team with
#: no use of them exports 0 or nothing: the newer flags, credits, the zero_when markers.
PRESENCE_FIELDS: frozenset[str] = frozenset(
    [flag for u in m.SURFACE_USERS for flag in u.flags]
    + [field for o in m.SURFACE_OBJECTS for field in o.zero_when or ()]
    + [field for field, _ in m.CODE_REVIEW_FLAGS]
    + ["ai_credits_used"]
)


class UsageAccumulator:
    """Sums user rows (users-1-day) into one scope's values: counters summed, users distinct.

    ``activity=False`` sums only what an owner's entity report does not carry itself (see
    :func:`merge_entity_and_users`): credits and the user counts, not the activity.
    """

    __slots__ = (
        "_activity",
        "_agents",
        "_phases",
        "_review",
        "_sums",
        "_surface",
        "_users",
        "flags",
    )

    def __init__(self, *, activity: bool = True) -> None:
        self._activity = activity
        self._sums: dict[Key, float] = {}  # in first-seen order, as the samples come out
        self._users: set[object] = set()
        self.flags: dict[str, set[object]] = {metric: set() for _, metric, _ in m.USER_FLAGS}
        self._review: dict[str, set[object]] = {e: set() for _, e in m.CODE_REVIEW_FLAGS}
        self._surface: dict[str, set[object]] = {metric: set() for _, metric in _SURFACE_FLAGS}
        self._phases: dict[Labels, set[object]] = {}
        self._agents: dict[str, str] = {}

    @property
    def values(self) -> Values:
        """The sums so far."""
        values: Values = {}
        for (name, labels), value in self._sums.items():
            samples = values.get(name)
            if samples is None:
                samples = values[name] = {}
            samples[labels] = value
        return values

    def add(self, user: object, row: Mapping[str, Any], flat: Flat) -> None:
        self.add_keyed(user, row, [(n, labels) for n, labels, _ in flat], [v for *_, v in flat])

    def add_keyed(
        self, user: object, row: Mapping[str, Any], keys: list[Key], values: list[float]
    ) -> None:
        """One row, its activity given as :func:`keyed_activity` made it."""
        sums = self._sums
        get = sums.get
        if self._activity:
            self._users.add(user)
            for key, value in zip(keys, values, strict=True):
                sums[key] = get(key, 0.0) + value
        else:
            credits_used = number(row.get("ai_credits_used"))
            if credits_used is not None:
                sums[_CREDITS_KEY] = get(_CREDITS_KEY, 0.0) + credits_used
        for field, metric, _ in m.USER_FLAGS:
            if row.get(field) is True:
                self.flags[metric].add(user)
        for field, engagement in m.CODE_REVIEW_FLAGS:
            if row.get(field) is True:
                self._review[engagement].add(user)
        if self._activity:
            self._add_surfaces(user, row)

    def _add_surfaces(self, user: object, row: Mapping[str, Any]) -> None:
        for flags, metric in _SURFACE_FLAGS:
            for flag in flags:
                used = row.get(flag)
                if used is not None:
                    if used is True:
                        self._surface[metric].add(user)
                    break
        phase = row.get(m.ADOPTION_USER_FIELD)
        if phase is not None:
            self._add_phase(user, phase)
        agents = row.get(m.THIRD_PARTY_ARRAY)
        if agents:
            for agent, name in agent_names(agents):
                self._agents.setdefault(agent, name)

    def _add_phase(self, user: object, phase: object) -> None:
        key = phase_labels(phase)
        if key is not None:
            self._phases.setdefault(key, set()).add(user)

    def result(self, present: Set[str] = PRESENCE_FIELDS) -> Values:
        """Team values. Counters are always there (a team with no active member exports 0),
        and so are the sums and user counts of every surface the users report shows: those
        of ``present`` (fields some row of the report carries, not null); of the others, a
        team exports nothing, as GitHub had nothing to tell that day."""
        values = self.values
        for counter in m.COUNTERS:
            values.setdefault(m.PREFIX + counter.metric, {_NO_LABELS: 0.0})
        for obj in m.SURFACE_OBJECTS:
            if obj.zero_when is None or not present.isdisjoint(obj.zero_when):
                for _, metric, _ in obj.fields:
                    values.setdefault(m.PREFIX + metric, {_NO_LABELS: 0.0})
        if "ai_credits_used" in present:
            values.setdefault(m.AI_CREDITS_METRIC, {_NO_LABELS: 0.0})
        values[m.PREFIX + "daily_active_users"] = {_NO_LABELS: float(len(self._users))}
        for metric, users in self.flags.items():
            values[m.PREFIX + metric] = {_NO_LABELS: float(len(users))}
        review: dict[Labels, float] = {
            ("daily", e): float(len(self._review[e]))
            for field, e in m.CODE_REVIEW_FLAGS
            if field in present
        }
        if review:
            values[m.CODE_REVIEW_METRIC] = review
        for flags, metric in _SURFACE_FLAGS:
            if not present.isdisjoint(flags):
                values[metric] = {_NO_LABELS: float(len(self._surface[metric]))}
        if self._phases:
            values[m.ADOPTION_USERS] = {k: float(len(u)) for k, u in self._phases.items()}
        if self._agents:
            values[m.THIRD_PARTY_INFO] = {item: 1.0 for item in self._agents.items()}
        return values


def merge_entity_and_users(entity: Values, users: Values) -> Values:
    """Entity-report values win; the users report adds what the entity report lacks."""
    merged: Values = {
        name: dict(samples) for name, samples in users.items() if name not in _USERS_ONLY_SKIP
    }
    for name, samples in entity.items():
        if name == m.CODE_REVIEW_METRIC and name in merged:
            merged[name].update(samples)
        else:
            merged[name] = dict(samples)
    return merged


# What the entity report carries itself (summable activity in full; the newer surfaces,
# whose null there means "no data"): never taken from users rows for an entity scope.
_USERS_ONLY_SKIP = frozenset(
    [m.PREFIX + c.metric for c in m.COUNTERS]
    + [b.metric(m.COUNTER_BY_FIELD[f]) for b in m.BREAKDOWNS for f in b.counters]
    + [m.PREFIX + metric for o in m.SURFACE_OBJECTS for _, metric, _ in o.fields]
    + [m.PREFIX + "daily_active_users"]
    + [m.PREFIX + u.metric for u in m.SURFACE_USERS]
    + [m.PREFIX + metric for _, metric, _ in m.THIRD_PARTY_FIELDS]
    + [m.THIRD_PARTY_INFO, m.ADOPTION_USERS, m.ADOPTION_AVERAGE]
    + [m.PREFIX + c.metric for c in m.CLI_CUSTOMISATIONS]
)


# --- repositories (repos-1-day) -------------------------------------------------------------


def repository_name(row: Mapping[str, Any]) -> str | None:
    """The ``repository`` label: ``owner/name`` from ``repo_owner_name`` and ``repo_name``
    (a name that already holds the owner is kept); None without a name."""
    name = label(row.get("repo_name"))
    if not name:
        return None
    owner = label(row.get("repo_owner_name"))
    return name if not owner or "/" in name else f"{owner}/{name}"


class RepositoryAccumulator:
    """repos-1-day rows into per-repository values, one row per repository: a repository
    repeated (same ``repo_id``, else same name) keeps its first row, as GitHub sends one."""

    __slots__ = ("_seen", "values")

    def __init__(self) -> None:
        self.values: Values = {}
        self._seen: set[str] = set()

    def add(self, row: Mapping[str, Any]) -> None:
        repo = repository_name(row)
        if repo is None:
            return
        key = _number_label(row.get("repo_id")) or f"name:{repo}"
        if key in self._seen:
            return
        self._seen.add(key)
        visibility = label(row.get("repo_visibility")) or ""
        self._put(m.REPOSITORY_INFO, (repo, visibility), 1.0)
        prs = row.get("pull_requests")
        if isinstance(prs, Mapping):
            self._pull_requests(repo, prs)
        times = row.get(m.REVIEW_TIMES)
        if times is None and isinstance(prs, Mapping):
            times = prs.get(m.REVIEW_TIMES)  # accepted inside the block too
        if isinstance(times, list):
            self._review_times(repo, times)

    def _put(self, name: str, labels: Labels, value: float) -> None:
        self.values.setdefault(name, {})[labels] = value

    def _pull_requests(self, repo: str, prs: Mapping[str, Any]) -> None:
        for field, metric, _ in m.REPOSITORY_PR_FIELDS:
            value = number(prs.get(field))
            if value is not None:
                self._put(m.PREFIX + metric, (repo,), value)
        for field, author in m.PR_MEDIANS:
            value = number(prs.get(field))
            if value is not None:
                self._put(m.REPOSITORY_MEDIAN_METRIC, (repo, author), value * 60.0)
        by_type = prs.get("copilot_suggestions_by_comment_type")
        if not isinstance(by_type, list):
            return
        for entry in by_type:
            comment_type = label(entry.get("comment_type")) if isinstance(entry, Mapping) else None
            if comment_type is None:
                continue
            for field, metric in m.REPOSITORY_BY_COMMENT_TYPE:
                value = number(entry.get(field))
                if value is not None:
                    samples = self.values.setdefault(m.PREFIX + metric, {})
                    key = (repo, comment_type)
                    samples[key] = samples.get(key, 0.0) + value

    def _review_times(self, repo: str, entries: list[Any]) -> None:
        """Per (authored_by, reviewed_by): the merged count and each stage's median and p90;
        a pair repeated keeps its first entry (quantiles cannot be combined)."""
        pairs: set[Labels] = set()
        for entry in entries:
            if not isinstance(entry, Mapping):
                continue
            pair = tuple(label(entry.get(role)) or "" for role in m.REVIEW_ROLES)
            if pair in pairs:
                continue
            pairs.add(pair)
            merged = number(entry.get(m.REVIEW_MERGED_FIELD))
            if merged is not None:
                self._put(m.REVIEWED_MERGED_METRIC, (repo, *pair), merged)
            for field, raw in entry.items():
                stage = m.review_stage(field)
                value = number(raw)
                if stage is not None and value is not None:
                    self._put(m.REVIEW_STAGE_METRIC, (repo, *stage, *pair), value * 60.0)
