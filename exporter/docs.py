"""Generate ``docs/metrics.md`` from the metric table (``python -m exporter.docs``) and the
README's configuration reference from the config's settings (``--readme README.md``).

Tests regenerate both and fail when the committed copy differs, so the references can
never drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from exporter import config
from exporter import metrics as m

_TITLES = {
    "status": "Exporter status (every source)",
    "reports": "Usage-metrics reports source (`source: reports`, the default)",
    "legacy": "Legacy metrics source (`source: legacy`, `/copilot/metrics`)",
    "seats": "Seats and licences",
    "billing": "Spend: AI credits (billing endpoints, `billing:`)",
}


def render() -> str:
    lines = [
        "# Metric reference",
        "",
        "Generated from `exporter/metrics.py` by `make docs`; do not edit by hand.",
        "",
        "Daily figures are gauges that hold the value of the newest complete report day; "
        "`github_copilot_report_day_timestamp_seconds` says which day. Scope metrics carry "
        "`scope_type` (`enterprise`, `enterprise_team`, `organization`, `team`) and `scope` "
        "(`ENT`, `ENT/TEAM`, `ORG`, `ORG/TEAM`). A `_by_<dims>` metric is a breakdown of the "
        "metric without the suffix: sum it over its own labels, never add it to the total.",
        "",
    ]
    for group, title in _TITLES.items():
        specs = [
            s
            for s in m.all_specs()
            if s.group == group or (group == "reports" and s.group == "reports_users")
        ]
        if not specs:
            continue
        lines += [
            f"## {title}",
            "",
            "| metric | type | labels | help | from |",
            "|---|---|---|---|---|",
        ]
        for spec in specs:
            labels = ", ".join(f"`{label}`" for label in spec.all_labels) or "–"
            source = f"`{spec.source_field}`" if spec.source_field else ""
            kind = "gauge (info)" if spec.kind == "info" else spec.kind
            help_text = spec.help.replace("|", "\\|")
            lines.append(f"| `{spec.name}` | {kind} | {labels} | {help_text} | {source} |")
        lines.append("")
    return "\n".join(lines)


README_BEGIN = "<!-- configuration reference: generated from exporter/config.py by `make docs` -->"
README_END = "<!-- end of the generated configuration reference -->"


def config_reference() -> str:
    """The README's table of config keys, one row per declared setting."""
    lines = ["| key | default | env | meaning |", "|---|---|---|---|"]
    for setting in config.SETTINGS:
        key = f"({setting.name})" if setting.refused else f"`{setting.key}`"
        env = f"`{setting.env}` " if setting.env else ""
        help_text = setting.help.replace("|", "\\|")
        lines.append(f"| {key} | {setting.default_text()} | {env}| {help_text} |")
    return "\n".join(lines)


def with_config_reference(readme: str) -> str:
    """``readme`` with the text between the markers replaced by :func:`config_reference`."""
    head, begin, rest = readme.partition(README_BEGIN)
    _, end, tail = rest.partition(README_END)
    if not begin or not end:
        raise ValueError(f"README lacks the markers {README_BEGIN!r} ... {README_END!r}")
    return f"{head}{begin}\n{config_reference()}\n{end}{tail}"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--readme"]:
        readme = Path(sys.argv[2])
        readme.write_text(with_config_reference(readme.read_text(encoding="utf-8")), "utf-8")
    else:
        sys.stdout.write(render())
