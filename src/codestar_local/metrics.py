"""Prometheus metrics (GET /_codestar-local/metrics): counted cheaply per request, exposed by prometheus_client.

The request path only adds to a Tally: one dict lookup, two bisects and a few list increments (prometheus_client's
own Counter and Histogram cost several microseconds per request, more in multiprocess mode). prometheus_client
sees the numbers at scrape time, through Exposition, a custom collector.

Under `serve --workers N` each worker writes its cumulative tally to a file of its own in a directory that serve
makes and removes (CODESTAR_LOCAL_METRICS_DIR), every FLUSH_SECONDS and at shutdown. A scrape adds the answering
worker's live tally to every other file, exited workers' included, so counters never go back. A file holds
totals, not deltas: a lost or late write only delays numbers, it never loses or doubles them. This replaces
prometheus_client's multiprocess mode, which has no public way to add a batch of histogram observations.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import threading
import uuid
from bisect import bisect_left

import orjson

# prometheus_client is imported at the first scrape: it takes 50 ms to import, which every mock_codestar would pay.

log = logging.getLogger("codestar_local.metrics")

FLUSH_SECONDS = 1.0
# Upper bounds (seconds) of the latency buckets: a point read is tens of microseconds inside the server.
BOUNDS = (0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
          0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_LE = tuple(repr(b) for b in BOUNDS) + ("+Inf",)
# A row: the latency sum, one count per bucket (the last is +Inf), then the same for time in the store.
_BUCKETS = len(BOUNDS) + 1
_STORE = 1 + _BUCKETS
UNKNOWN = "unknown"  # service or operation of a request that could not be routed


class Tally:
    """One process's request counts: (service, operation, status, error code) -> a row."""

    def __init__(self, services, directory: str | None = None, threads: bool = False):
        self.services = services
        self.rows: dict = {}
        # With `threads` requests run on a thread pool (a store on a network database), and += on a list item is
        # not atomic: counting takes the lock. Otherwise every request, flush and scrape runs on the event loop's
        # thread, and a lock would add a third to the cost of counting for nothing.
        self.lock = threading.Lock()
        self.request = self._count_locked if threads else self._count
        self.directory = directory
        self.path = os.path.join(directory, f"{os.getpid()}-{uuid.uuid4().hex[:8]}.json") if directory else None
        self._written = None
        self._failing = False  # warn once, not every second

    def _count(self, key: tuple, seconds: float, stored: float | None) -> None:
        """Count one answered request (Tally.request); `stored` is its time in a store transaction, if it had one."""
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = [0.0] + [0] * _BUCKETS + [0.0] + [0] * _BUCKETS
        row[0] += seconds
        row[1 + bisect_left(BOUNDS, seconds)] += 1
        if stored is not None:
            row[_STORE] += stored
            row[_STORE + 1 + bisect_left(BOUNDS, stored)] += 1

    def _count_locked(self, key: tuple, seconds: float, stored: float | None) -> None:
        with self.lock:
            self._count(key, seconds, stored)

    def snapshot(self) -> list:
        """[[service, operation, mode, status, code, *row], ...] with names for labels."""
        with self.lock:
            rows = [(key, list(row)) for key, row in self.rows.items()]
        return [[key[0] or UNKNOWN, key[1] or UNKNOWN, self._mode(key), str(key[2]), key[3] or "", *row]
                for key, row in rows]

    def _mode(self, key) -> str:
        service = self.services.get(key[0])
        op = service.operations.get(key[1]) if service is not None else None
        return "" if op is None else ("read" if op.readonly else "write")

    # -- several workers ----------------------------------------------------
    def flush(self) -> None:
        """Write this process's totals for the other workers' scrapes (only when they changed)."""
        if self.path is None:
            return
        data = orjson.dumps(self.snapshot())
        if data == self._written:
            return
        temporary = os.path.join(self.directory, "." + os.path.basename(self.path))
        try:
            with open(temporary, "wb") as f:
                f.write(data)
            os.replace(temporary, self.path)  # readers see the old file or the new one, never half of one
        except OSError as e:
            if not self._failing:
                log.warning("cannot write metrics for the other workers to %s: %s", self.path, e)
            self._failing = True
            return
        self._written, self._failing = data, False

    def start(self) -> None:
        """Flush every FLUSH_SECONDS from the running event loop (a write of a few kilobytes, off the request path)."""
        if self.path is None:
            return
        loop = asyncio.get_running_loop()

        def tick():
            try:
                self.flush()
            finally:
                loop.call_later(FLUSH_SECONDS, tick)

        tick()

    def everyone(self) -> tuple[list, int]:
        """This process's live rows and every other worker's last written rows; and how many processes that is."""
        rows = self.snapshot()
        processes = 1
        if self.directory is not None:
            for path in glob.glob(os.path.join(self.directory, "*.json")):
                if path == self.path:
                    continue
                try:
                    with open(path, "rb") as f:
                        rows.extend(orjson.loads(f.read()))
                except (OSError, orjson.JSONDecodeError) as e:
                    log.warning("cannot read another worker's metrics in %s: %s", path, e)
                    continue
                processes += 1
        return rows, processes


class Exposition:
    """A prometheus_client collector: its view of the tallies and of the store, computed at each scrape."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily

        rows, processes = self.app.tally.everyone()
        requests: dict = {}
        errors: dict = {}
        latency: dict = {}
        store: dict = {}
        for service, operation, mode, status, code, *row in rows:
            count = sum(row[1:_STORE])
            _add(requests, (service, operation, status), count)
            if code:
                _add(errors, (service, operation, code), count)
            _add_row(latency, (service, operation), row[:_STORE])
            if mode and sum(row[_STORE + 1 :]):
                _add_row(store, (mode,), row[_STORE:])
        family = CounterMetricFamily("codestar_local_requests", "API requests answered, by service, operation "
                                     "and HTTP status", labels=("service", "operation", "status"))
        for labels, value in sorted(requests.items()):
            family.add_metric(labels, value)
        yield family
        family = CounterMetricFamily("codestar_local_errors", "API requests answered with an error, by service, "
                                     "operation and error code", labels=("service", "operation", "code"))
        for labels, value in sorted(errors.items()):
            family.add_metric(labels, value)
        yield family
        yield _histogram("codestar_local_request_duration_seconds", "Time the server took to answer an API request, "
                         "from routing to the encoded response", ("service", "operation"), latency)
        yield _histogram("codestar_local_store_duration_seconds", "Time API requests spent in store transactions "
                         "(the provider's work inside them and retries included), by read or write", ("mode",), store)
        kinds = self._kinds()
        if kinds is not None:
            family = GaugeMetricFamily("codestar_local_resources", "Stored resources by kind (the whole store, "
                                       "every account)", labels=("kind",))
            for kind, value in sorted(kinds.items()):
                family.add_metric((kind,), value)
            yield family
        yield GaugeMetricFamily("codestar_local_metrics_processes", "Server processes whose counts this scrape "
                                "adds up (this one, and every other worker of this serve, exited ones included)",
                                value=processes)

    def _kinds(self) -> dict | None:
        try:
            with self.app.store.read() as tx:
                return tx.count_by_kind()
        except Exception as e:  # the store is down: the request metrics still answer
            log.warning("metrics: cannot count stored resources: %s", e)
            return None


def _add(into: dict, key, value) -> None:
    into[key] = into.get(key, 0) + value


def _add_row(into: dict, key, part) -> None:
    have = into.get(key)
    if have is None:
        into[key] = list(part)
    else:
        for i, value in enumerate(part):
            have[i] += value


def _histogram(name, documentation, labels, rows: dict):
    from prometheus_client.metrics_core import HistogramMetricFamily

    family = HistogramMetricFamily(name, documentation, labels=labels)
    for key, row in sorted(rows.items()):
        cumulative, buckets = 0, []
        for le, count in zip(_LE, row[1:]):
            cumulative += count
            buckets.append((le, cumulative))
        family.add_metric(key, buckets, sum_value=row[0])
    return family


def registry(app):
    """A registry of one app's metrics alone (not prometheus_client's global one, which the mock's apps share)."""
    from prometheus_client.registry import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Exposition(app))
    return registry


def scrape(registry) -> tuple[bytes, bytes]:
    """(content type, body): the text exposition format 0.0.4 of a registry, as Prometheus asks for by default."""
    from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

    return CONTENT_TYPE_PLAIN_0_0_4.encode(), generate_latest(registry)
