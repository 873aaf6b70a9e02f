"""Generate ``docs/metrics.md`` from the metric table (``python -m exporter.docs``).

A test regenerates it and fails when the committed file differs, so the reference can
never drift from the code.
"""

from __future__ import annotations

import sys

from exporter import metrics as m

_TITLES = {
    "status": "Exporter status (every source)",
    "reports": "Usage-metrics reports source (`source: reports`, the default)",
    "legacy": "Legacy metrics source (`source: legacy`, `/copilot/metrics`)",
    "seats": "Seats and licences",
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


if __name__ == "__main__":
    sys.stdout.write(render())
