"""The state file: the last good snapshot on disk, so a restart serves data at once.

Written atomically (temporary file, fsync, rename) after each refresh and at shutdown; a
missing, unreadable or corrupt file is reported and ignored, never fatal.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

from exporter.config import Scope
from exporter.files import write_atomic
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


def _load_state(raw: dict[str, Any]) -> ScopeState:
    scope = Scope(raw["type"], str(raw["owner"]), raw["team"], raw["source"])
    values = {
        str(name): {tuple(str(x) for x in row[:-1]): float(row[-1]) for row in rows}
        for name, rows in raw["values"].items()
    }
    day = raw.get("report_day")
    return ScopeState(
        scope,
        bool(raw["up"]),
        values,
        date.fromisoformat(day) if day else None,
        raw.get("last_success"),
        raw.get("last_failure"),
        raw.get("error"),
        as_reason(raw.get("reason")),
    )


def save(path: Path, snapshot: Snapshot) -> None:
    """Replace ``path`` with the snapshot, atomically; errors are logged, not raised."""
    data = {
        "version": VERSION,
        "created": snapshot.created,
        "scopes": [_dump_state(s) for s in snapshot.scopes],
    }
    try:
        write_atomic(path, lambda handle: json.dump(data, handle, separators=(",", ":")))
    except OSError as exc:
        log.warning(
            "cannot write the state file; the next restart starts empty",
            extra={"path": str(path), "err": exc.strerror},
        )


def load(path: Path) -> Snapshot | None:
    """The saved snapshot, or None (with one log line) when there is none usable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != VERSION:
            raise ValueError(f"unknown state version {raw.get('version')!r}")
        scopes = tuple(_load_state(s) for s in raw["scopes"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        log.warning(
            "ignoring unreadable state file; starting empty",
            extra={"path": str(path), "err": f"{type(exc).__name__}: {exc}"},
        )
        return None
    log.info(
        "restored the last snapshot from the state file",
        extra={"path": str(path), "scopes": len(scopes)},
    )
    return Snapshot(scopes, created=float(raw.get("created", 0.0)), ready=True)
