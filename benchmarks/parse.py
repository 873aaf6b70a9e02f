"""Benchmark: the report-file parser alone, per file shape and size, beside the one on main.

    python benchmarks/parse.py [--users 50000 --orgs 20 --repeat 3 --shapes ndjson,...]

The rows are the enterprise users-1-day file of a simulated estate (as in bench.py), written
in each shape GitHub's files come in: NDJSON, one JSON array on one line, a pretty-printed
array, one pretty-printed ``{"day_totals": [...]}`` object, and the report's parts as
one-line arrays back to back. Each shape is parsed at a quarter and at the whole size, so
the two figures show whether time grows with the size or faster.

"stream" feeds 64 KiB chunks and drops the records, as the exporter does with a download
(and bench.py's "parse only"); "kept" feeds the whole file at once and keeps every row,
which measures the allocator and the garbage collector about as much as the parser. First
comes msgspec alone, decoding the NDJSON lines already split: no parser that hands out
Python dicts can beat it, so it shows what the parser's framing costs and how far a parse
target is from what the machine can do at all. Times are
CPU seconds of this process, best of --repeat, since the machine is shared. The old parser
is `git show <ref>:exporter/parse.py`; it is skipped where it would take minutes (fed in
chunks, it is superlinear on every shape but NDJSON). Prints figures only; nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exporter.fakegithub import SimulatedStore
from exporter.parse import StreamParser

CHUNK = 64 * 1024
SHAPES = ("ndjson", "one-line array", "pretty array", "pretty object", "array parts")


def users_file(users: int, orgs: int) -> list[list[bytes]]:
    """The enterprise users-1-day report: its parts, each a list of NDJSON lines."""
    store = SimulatedStore(seed=42, users=users, orgs=orgs, teams_per_org=5, enterprise_teams=8)
    report = store.report("users-1-day", f"enterprises/{store.enterprise}", store.last_day)
    assert report is not None
    return [
        (part if isinstance(part, bytes) else part.read()).splitlines() for part in report.parts
    ]


def _pretty(lines: list[bytes], indent: str) -> Iterator[bytes]:
    for line in lines:
        text = json.dumps(json.loads(line), indent=2)
        yield (indent + text.replace("\n", "\n" + indent)).encode()


def render(shape: str, parts: list[list[bytes]]) -> bytes:
    lines = [line for part in parts for line in part]
    if shape == "ndjson":
        return b"".join(line + b"\n" for line in lines)
    if shape == "one-line array":
        return b"[" + b",".join(lines) + b"]"
    if shape == "pretty array":
        return b"[\n" + b",\n".join(_pretty(lines, "  ")) + b"\n]\n"
    if shape == "pretty object":
        return b'{\n  "day_totals": [\n' + b",\n".join(_pretty(lines, "    ")) + b"\n  ]\n}\n"
    return b"".join(b"[" + b",".join(part) + b"]" for part in parts)  # array parts


def quarter(parts: list[list[bytes]]) -> list[list[bytes]]:
    return [part[: max(1, len(part) // 4)] for part in parts]


def old_parser(ref: str) -> ModuleType | None:
    """The parser module as it is on `ref`, loaded from a temporary file."""
    root = Path(__file__).resolve().parent.parent
    try:
        source = subprocess.run(
            ["git", "-C", str(root), "show", f"{ref}:exporter/parse.py"],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp()) / "old_parse.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("old_parse", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stream(make: Callable[[], Any], body: bytes) -> int:
    parser = make()
    rows = 0
    for start in range(0, len(body), CHUNK):
        rows += len(parser.feed(body[start : start + CHUNK]))
    return rows + len(parser.close())


def kept(make: Callable[[], Any], body: bytes) -> int:
    parser = make()
    rows: list[Any] = parser.feed(body) + parser.close()
    return len(rows)


def decoder_alone(lines: list[bytes], body: bytes) -> int:
    """msgspec decoding each line of ``body``, split beforehand (``lines``): no framing, no
    chunking. What any parser that hands out Python dicts costs at the least."""
    decode = msgspec.json.Decoder().decode
    for line in lines:
        decode(line)
    return len(lines)


def best(run: Callable[[bytes], int], body: bytes, repeat: int) -> tuple[float, int]:
    """(MB/s, rows) for the fastest of `repeat` runs, in CPU time."""
    fastest, rows = float("inf"), 0
    for _ in range(repeat):
        started = time.process_time()
        rows = run(body)
        fastest = min(fastest, time.process_time() - started)
    return len(body) / 1e6 / max(fastest, 1e-9), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--orgs", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated")
    parser.add_argument("--old", default="main", help="git ref of the parser to compare with")
    parser.add_argument(
        "--old-max-mb",
        type=float,
        default=48,
        help="skip the old parser on files bigger than this but NDJSON (superlinear there)",
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {args.users} users, "
        f"CPU time, best of {args.repeat}"
    )
    old = old_parser(args.old)
    parts = users_file(args.users, args.orgs)
    for size_parts in (quarter(parts), parts):
        body = render("ndjson", size_parts)
        floor, _ = best(partial(decoder_alone, body.splitlines()), body, args.repeat)
        print(
            f"decoder alone (msgspec per NDJSON line, no framing) {len(body) / 1e6:6.1f} MB: "
            f"{floor:6.1f} MB/s"
        )
    print(f"{'shape':15} {'size':>9} {'rows':>7}  {'mode':6} {'old MB/s':>9} {'new MB/s':>9}")
    for shape in args.shapes.split(","):
        for size_parts in (quarter(parts), parts):
            body = render(shape, size_parts)
            mb = len(body) / 1e6
            cap = max(len(body) + 1, 16 << 20)  # a pretty object is one record: let it in
            for mode, run in (("stream", stream), ("kept", kept)):
                new, rows = best(partial(run, partial(StreamParser, cap)), body, args.repeat)
                if old is None or (shape != "ndjson" and mb > args.old_max_mb):
                    before = "skipped"
                else:
                    figure, old_rows = best(partial(run, old.StreamParser), body, args.repeat)
                    assert old_rows == rows, (shape, old_rows, rows)
                    before = f"{figure:9.1f}"
                print(f"{shape:15} {mb:6.1f} MB {rows:7d}  {mode:6} {before:>9} {new:9.1f}")


if __name__ == "__main__":
    main()
