"""Write the Grafana dashboards, grafana/dashboards/*.json, from the code in this package.

python -m grafana.generate          # write the dashboards (make dashboards)
python -m grafana.generate --check  # write nothing; exit 1 and list the stale ones
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from grafana_foundation_sdk.models.dashboard import Dashboard

from grafana import (
    adoption,
    agents,
    code_generation,
    exporter_health,
    legacy,
    pull_requests_cli,
    spend,
)
from grafana.panels import to_json

OUT_DIR = Path(__file__).resolve().parent / "dashboards"
# One module per dashboard; the uid is also the file name, so links and alerts keep working.
BOARDS: dict[str, Callable[[], Dashboard]] = {
    adoption.UID: adoption.dashboard,
    code_generation.UID: code_generation.dashboard,
    pull_requests_cli.UID: pull_requests_cli.dashboard,
    agents.UID: agents.dashboard,
    legacy.UID: legacy.dashboard,
    exporter_health.UID: exporter_health.dashboard,
    spend.UID: spend.dashboard,
}


def render() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    files: dict[str, str] = {}
    for uid, make in BOARDS.items():
        board = make()
        if board.uid != uid:
            raise ValueError(f"{uid}: the dashboard says uid {board.uid!r}")
        files[f"{uid}.json"] = to_json(board)
    return files


def stale(out_dir: Path, files: dict[str, str]) -> list[str]:
    """Files of ``files`` that are missing from ``out_dir`` or differ."""
    return [
        name
        for name, text in files.items()
        if not (out_dir / name).is_file() or (out_dir / name).read_text(encoding="utf-8") != text
    ]


def strays(out_dir: Path, files: dict[str, str]) -> list[str]:
    """JSON files in ``out_dir`` that no module generates (a hand-kept dashboard)."""
    return sorted(path.name for path in out_dir.glob("*.json") if path.name not in files)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when a dashboard is stale"
    )
    args = parser.parse_args(argv)
    files = render()
    for name in strays(OUT_DIR, files):
        print(
            f"grafana/dashboards/{name} is not generated: add a module for it to "
            "grafana/generate.py, or remove it",
            file=sys.stderr,
        )
    if args.check:
        out_of_date = stale(OUT_DIR, files)
        for name in out_of_date:
            print(f"stale: grafana/dashboards/{name}", file=sys.stderr)
        if out_of_date:
            print("run: make dashboards", file=sys.stderr)
        return 1 if out_of_date or strays(OUT_DIR, files) else 0
    OUT_DIR.mkdir(exist_ok=True)
    for name, text in files.items():
        (OUT_DIR / name).write_text(text, encoding="utf-8")
        print(f"wrote grafana/dashboards/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
