"""Demo mode: the project's fake GitHub in-process, with simulated data for every scope type.

The data goes through the real client, parser, aggregation and collector, so what a new
user sees in the demo is exactly what the exporter does with GitHub's answers.
"""

from __future__ import annotations

import logging

from exporter.config import (
    Billing,
    Config,
    DimensionRule,
    GitHubConfig,
    Schedule,
    Scope,
    ScopeType,
    SourceName,
)
from exporter.fakegithub import FakeGitHub, SimulatedStore

log = logging.getLogger(__name__)
DEMO_TOKEN = "demo-token-not-a-secret"  # noqa: S105 (the fake GitHub's own token)


def demo_scopes(store: SimulatedStore, source: SourceName) -> tuple[Scope, ...]:
    """Every owner of the simulation, each with all of its teams (and, from the reports,
    its repositories)."""
    scopes: list[Scope] = []
    for path in sorted(store.owners()):
        root, name, *team = path.split("/")
        if team:  # legacy team paths (orgs/ORG/team/SLUG) are listed as owners too
            continue
        enterprise = root == "enterprises"
        entity_type: ScopeType = "enterprise" if enterprise else "organization"
        team_type: ScopeType = "enterprise_team" if enterprise else "team"
        repositories = DimensionRule() if source == "reports" else None
        scopes.append(Scope(entity_type, name, None, source, repositories))
        if source == "reports":
            scopes.append(Scope(team_type, name, "*", source))
        else:  # the legacy API has no team listing: name them, from the store's team paths
            prefix = f"{path}/team/"
            scopes.extend(
                Scope(team_type, name, owner.removeprefix(prefix), source)
                for owner in sorted(store.owners())
                if owner.startswith(prefix)
            )
    return tuple(scopes)


def start_demo(
    source: str = "reports", *, users: int = 400, seed: int = 7
) -> tuple[FakeGitHub, Config]:
    src: SourceName = "legacy" if source == "legacy" else "reports"
    store = SimulatedStore(seed=seed, users=users)
    fake = FakeGitHub(store, token=DEMO_TOKEN).start()
    config = Config(
        github=GitHubConfig(api_url=fake.api_url, token=DEMO_TOKEN, timeout=10.0),
        scopes=demo_scopes(store, src),
        source=src,
        refresh=Schedule(interval=300.0),
        origin="demo",
        demo=True,
        # Every spend panel has data: per-user and per-cost-center spend are on.
        billing=Billing(cost_centers=True, top_users=10),
    )
    log.warning(
        "demo mode: serving simulated data from the built-in fake GitHub, not your "
        "organization's (pass --config.file or set GITHUB_TOKEN to read GitHub)",
        extra={"api_url": fake.api_url, "source": src, "scopes": len(config.scopes)},
    )
    return fake, config
