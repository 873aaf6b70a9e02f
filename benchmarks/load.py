"""Load: 50 concurrent scrapers for 20 s while refreshes keep running; zero failures wanted.

    python benchmarks/load.py [--scrapers 50 --seconds 20]

The demo estate is refreshed back to back in the background (each refresh builds and swaps
a new snapshot, which invalidates the rendered exposition), so scrapes race the swaps.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench import load, pct
from exporter.app import Exporter, default_sources
from exporter.demo import start_demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scrapers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    fake, config = start_demo()
    exporter = Exporter(config, listen=("127.0.0.1", 0))
    exporter.serve()
    exporter.refresh_now()
    stop = threading.Event()
    refreshes = 0

    def churn() -> None:
        nonlocal refreshes
        while not stop.is_set():
            exporter.refresher.sources = default_sources(
                exporter.client, exporter.clock
            )  # empty caches:
            exporter.refresh_now()  # a full refresh each time
            refreshes += 1

    worker = threading.Thread(target=churn, daemon=True)
    worker.start()
    url = f"http://127.0.0.1:{exporter.port}/metrics"
    for name, headers in [("plain", {}), ("gzip", {"Accept-Encoding": "gzip"})]:
        started = time.monotonic()
        latencies, failures = load(url, args.scrapers, args.seconds, headers)
        took = time.monotonic() - started
        print(
            f"{name:5s}: {args.scrapers} scrapers x {args.seconds:.0f} s: {len(latencies)} "
            f"scrapes ({len(latencies) / took:.0f}/s), {failures} failed, "
            f"p50 {pct(latencies, 0.5):.1f} ms, p99 {pct(latencies, 0.99):.1f} ms, "
            f"{refreshes} refreshes so far"
        )
    stop.set()
    worker.join()
    exporter.stop()
    fake.stop()


if __name__ == "__main__":
    main()
