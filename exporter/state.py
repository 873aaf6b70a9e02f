"""The state file: the last good snapshot on disk, so a restart serves data at once.

Written atomically (temporary file, fsync, rename) after each refresh and at shutdown; a
missing, unreadable or corrupt file is reported and ignored, never fatal. Every field is
checked as it is read back (the file is input like any other: a disk, an operator or
another version may have changed it), so what a restart serves is what a refresh could
have built.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, get_args

from exporter import metrics as m
from exporter import sanitise
from exporter.aggregate import Values
from exporter.config import SOURCES, Scope, ScopeType
from exporter.files import remove_interrupted, write_atomic
from exporter.snapshot import ScopeState, Snapshot
from exporter.source import as_reason

log = logging.getLogger(__name__)
VERSION = 1


def _dump_state(state: ScopeState) -> dict[str, Any]:
    scope = state.scope
    return {
        "type": scope.type,
        "owner": scope.owner,
        "team": scope.team,
        "source": scope.source,
        "up": state.up,
        "report_day": state.report_day.isoformat() if state.report_day else None,
        "last_success": state.last_success,
        "last_failure": state.last_failure,
        "error": state.error,
        "reason": state.reason,
        "values": {
            name: [[*labels, value] for labels, value in samples.items()]
            for name, samples in state.values.items()
        },
    }


class _Shape(ValueError):
    """The file is JSON, but not a state file."""


_SCOPE_TYPES = frozenset(get_args(ScopeType))


def _field(raw: object, key: str, kinds: type | tuple[type, ...], *, optional: bool = False) -> Any:
    if not isinstance(raw, dict):
        raise _Shape(f"expected an object holding {key!r}")
    value = raw.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, kinds) or isinstance(value, bool) != (kinds is bool):
        raise _Shape(f"{key!r} is {type(value).__name__}")
    return value


def _time(raw: object, key: str) -> float | None:
    value = _field(raw, key, (int, float), optional=True)
    if value is not None and not math.isfinite(value):
        raise _Shape(f"{key!r} is not a finite number")
    return None if value is None else float(value)


def _values(raw: object) -> Values:
    """Samples of the metrics this version knows, with the label count each has now; rows
    of another version's metrics are left out, not fatal."""
    if not isinstance(raw, dict):
        raise _Shape("'values' is not an object")
    index = m.spec_index()
    values: Values = {}
    for name, rows in raw.items():
        if not isinstance(rows, list):
            raise _Shape(f"values of {name!r} are not a list")
        spec = index.get(name)
        samples: dict[tuple[str, ...], float] = {}
        for row in rows:
            if (
                not isinstance(row, list)
                or not row
                or not all(isinstance(label, str) for label in row[:-1])
                or isinstance(row[-1], bool)
                or not isinstance(row[-1], int | float)
            ):
                raise _Shape(f"a row of {name!r} is not label values and a number")
            labels = tuple(row[:-1])
            if spec is not None and len(labels) == len(spec.labels):
                samples[labels] = float(row[-1])
        if samples:
            values[name] = samples
    return sanitise.values(values)


def _load_state(raw: object) -> ScopeState:
    kind = _field(raw, "type", str)
    source = _field(raw, "source", str)
    if kind not in _SCOPE_TYPES or source not in SOURCES:
        raise _Shape(f"unknown scope type {kind!r} or source {source!r}")
    scope = Scope(kind, _field(raw, "owner", str), _field(raw, "team", str, optional=True), source)
    day = _field(raw, "report_day", str, optional=True)
    error = _field(raw, "error", str, optional=True)
    return ScopeState(
        scope,
        _field(raw, "up", bool),
        _values(_field(raw, "values", dict)),
        date.fromisoformat(day) if day else None,
        _time(raw, "last_success"),
        _time(raw, "last_failure"),
        error,
        as_reason(_field(raw, "reason", str, optional=True)),
    )


@dataclass(frozen=True)
class Restored:
    """What a state file gives back: the snapshot, and what each source kept (by name;
    checked by that source, see :class:`exporter.source.Resumable`)."""

    snapshot: Snapshot
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)


def save(path: Path, snapshot: Snapshot, sources: Mapping[str, object] | None = None) -> None:
    """Replace ``path`` with the snapshot, atomically; errors are logged, not raised."""
    data = {
        "version": VERSION,
        "created": snapshot.created,
        "scopes": [_dump_state(s) for s in snapshot.scopes],
        "sources": dict(sources or {}),
    }
    try:
        write_atomic(path, lambda handle: json.dump(data, handle, separators=(",", ":")))
    except OSError as exc:
        log.warning(
            "cannot write the state file; it still holds the previous snapshot, which a "
            "restart would serve",
            extra={"path": str(path), "err": exc.strerror},
        )


def load(path: Path) -> Restored | None:
    """The saved snapshot, or None (with one log line) when there is none usable."""
    remove_interrupted(path.parent, path.name)  # a write killed half way left these
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            version = raw.get("version") if isinstance(raw, dict) else None
            raise _Shape(f"unknown state version {version!r}")
        scopes_raw = raw.get("scopes")
        if not isinstance(scopes_raw, list):
            raise _Shape("'scopes' is not a list")
        scopes = tuple(_load_state(s) for s in scopes_raw)
        created = _time(raw, "created") or 0.0
        sources = raw.get("sources", {})  # files of earlier versions have none
        if not isinstance(sources, dict) or not all(isinstance(v, dict) for v in sources.values()):
            raise _Shape("'sources' is not an object of objects")
    except FileNotFoundError:
        return None
    except RecursionError:
        _ignored(path, "RecursionError: JSON nested too deeply")
        return None
    except (OSError, ValueError) as exc:  # _Shape, JSON, UTF-8 and dates are ValueErrors
        _ignored(path, f"{type(exc).__name__}: {exc}")
        return None
    log.info(
        "restored the last snapshot from the state file",
        extra={"path": str(path), "scopes": len(scopes)},
    )
    return Restored(Snapshot(scopes, created=created, ready=True), sources)


def _ignored(path: Path, why: str) -> None:
    log.warning(
        "ignoring unreadable state file; starting empty", extra={"path": str(path), "err": why}
    )
