"""The project's fake GitHub: API and download hosts on loopback, fed by a report store.

Used by the test suite (real client, real HTTP), by `copilot-exporter --demo` with a
`SimulatedStore`, and by the benchmarks.
"""

from exporter.fakegithub.server import FakeGitHub, Fault, RecordedRequest
from exporter.fakegithub.simulate import SimulatedStore
from exporter.fakegithub.store import LazyPart, ReportFile, ReportStore, StaticStore

__all__ = [
    "FakeGitHub",
    "Fault",
    "LazyPart",
    "RecordedRequest",
    "ReportFile",
    "ReportStore",
    "SimulatedStore",
    "StaticStore",
]
