"""``copilot-exporter backfill``: past report days as timestamped OpenMetrics files for promtool.

The live exporter only ever shows the newest complete day, so Prometheus holds history only
from the day it started scraping. This command fetches the 1-day reports of each past day
(the same ``ReportsSource`` as the live exporter) or reads archived legacy ``/copilot/metrics``
answers, renders each day through the live ``SnapshotCollector`` and writes one OpenMetrics
file per day with one timestamped sample per series. With the ``job``/``instance`` labels of
the scrape config added, ``promtool tsdb create-blocks-from openmetrics`` turns the files into
blocks whose series are the very series the live scrape writes, so dashboards draw the past
and the present as one line. See docs/backfill.md for the whole path.

A run goes through the modules in this order:

- :mod:`.plan`: the flags, the config and the legacy files checked into a ``Plan`` before any
  request;
- :mod:`.fetch`: each day fetched through a ``DaySource`` (the usage reports today), and the
  archived legacy answers converted;
- :mod:`.writer`: the day files (timestamps, OpenMetrics text, atomic writes) and the merge;
- :mod:`.progress`: the progress bar while it runs and the summary at the end;
- :mod:`.command`: the argparse wiring that ties them together, and the exit status.
"""

from exporter.backfill.command import add_parser, run

__all__ = ["add_parser", "run"]
