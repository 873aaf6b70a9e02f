"""Series counts for typical estates, for the README's cardinality table.

    python benchmarks/series_counts.py

Each estate is simulated by the fake GitHub and read through the real exporter with the
default cardinality settings (teams: totals, editor and feature), then with every
breakdown for teams too.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench import TOKEN, scopes_for
from exporter.app import Exporter
from exporter.cardinality import series_count
from exporter.config import Cardinality, Config, GitHubConfig, Seats
from exporter.fakegithub import FakeGitHub, SimulatedStore

ESTATES = [(300, 1, 5), (2_000, 3, 30), (10_000, 8, 300), (50_000, 20, 2_000)]


def count(users: int, orgs: int, teams: int, team_breakdowns: str) -> tuple[int, int]:
    store = SimulatedStore(
        seed=3, users=users, orgs=orgs, teams_per_org=max(1, teams // orgs), enterprise_teams=4
    )
    with FakeGitHub(store, token=TOKEN) as fake:
        config = Config(
            GitHubConfig(api_url=fake.api_url, token=TOKEN, timeout=120.0),
            scopes_for(sorted(store.owners())),
            seats=Seats(enabled=False),
            cardinality=Cardinality(max_series=None),  # count every series, uncut
        )
        if team_breakdowns == "all":
            card = config.cardinality
            config = replace(
                config,
                cardinality=replace(
                    card, breakdowns={**card.breakdowns, "team": None, "enterprise_team": None}
                ),
            )
        exporter = Exporter(config, listen=("127.0.0.1", 0))
        exporter.refresh_now()
        states = exporter.holder.current.scopes
        exporter.stop()
    return len(states), series_count(states)


def main() -> None:
    print(
        "| developers | orgs | teams | scopes | series (default) | series (all team breakdowns) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for users, orgs, teams in ESTATES:
        scopes, default = count(users, orgs, teams, "default")
        _, full = count(users, orgs, teams, "all")
        print(f"| {users:,} | {orgs} | {teams:,} | {scopes:,} | {default:,} | {full:,} |")


if __name__ == "__main__":
    main()
