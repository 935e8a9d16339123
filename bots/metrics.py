"""/metrics: the chain's health in Prometheus' text format, for a school's monitoring.

Every value is read from the Store when Prometheus scrapes (handlers/health.py), so each
instance behind a load balancer answers the same, and a restart resets nothing. The text is
written by prometheus-client's own exposition code from metric families built per scrape: no
process-wide registry, so several bots in one process (tests, the demo) never share numbers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from bots.http import READY_WITHIN_SECONDS, Handler
from handlers.health import ChainHealth, read_health
from handlers.tallies import DELIVERIES_FAILED, WEBHOOK_REFUSED, read_tally_name
from state.clock import Clock
from state.store import Store

log = logging.getLogger("esafety.metrics")
COUNTED = {DELIVERIES_FAILED: ("channel", "reason"), WEBHOOK_REFUSED: ("channel", "reason")}


def metric_families(health: ChainHealth) -> list[Metric]:
    """Every esafety_* metric with the values in `health`."""
    cases = GaugeMetricFamily("esafety_cases_open", "Concern cases not closed yet, by state.", labels=["state"])
    for state, count in health.cases_open.items():
        cases.add_metric([state.value], count)
    depth = GaugeMetricFamily("esafety_outbox_depth", "Messages in the outbox (waiting, being sent or parked), by lane.", labels=["lane"])
    for lane, count in health.outbox_depth.items():
        depth.add_metric([lane], count)
    degraded = GaugeMetricFamily("esafety_chain_degraded", "1 while the chain is degraded for this reason, else 0.", labels=["reason"])
    for reason, on in health.degraded.items():
        degraded.add_metric([reason], int(on))
    return [
        cases,
        GaugeMetricFamily("esafety_oldest_unacknowledged_case_seconds",
                          "Seconds since the oldest case no lead has acknowledged was received (0 when none).",
                          value=health.oldest_unacknowledged_seconds),
        depth,
        GaugeMetricFamily("esafety_outbox_undelivered", "Messages that failed at least once and are not delivered yet.",
                          value=health.undelivered),
        *_counters(health.tallies),
        GaugeMetricFamily("esafety_groups_unsupervised", "Class groups with students and no supervising adult.",
                          value=health.groups_unsupervised),
        GaugeMetricFamily("esafety_auditor_overdue", "Items of due work overdue by more than the auditor's margin.",
                          value=health.overdue),
        degraded,
    ]


def _counters(tallies: dict[str, int]) -> list[CounterMetricFamily]:
    helps = {DELIVERIES_FAILED: "Sends that failed (each attempt), by channel and reason.",
             WEBHOOK_REFUSED: "Webhook deliveries refused (bad input, signature or token), by channel and reason."}
    families = {name: CounterMetricFamily(f"esafety_{name}", helps[name], labels=list(labels)) for name, labels in COUNTED.items()}
    for key, value in sorted(tallies.items()):
        metric, labels = read_tally_name(key)
        if metric in families:
            families[metric].add_metric([labels.get(label, "") for label in COUNTED[metric]], value)
    return list(families.values())


class _Snapshot:
    """A collector holding one scrape's families (prometheus-client collects synchronously)."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def render(health: ChainHealth) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(metric_families(health)))
    return generate_latest(registry)


def metrics(store: Store, channels: frozenset[str], clock: Clock, margin_seconds: float) -> Handler:
    """The /metrics handler: 503 when the Store does not answer in time (Prometheus then shows
    the scrape as failed, itself an alert), never numbers that are not the Store's."""

    async def scrape(request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(READY_WITHIN_SECONDS * 5):
                health = await read_health(store, channels, clock.now(), margin_seconds)
        except Exception as error:  # a Store that cannot be read (a timeout, a Redis error) is a 503, never a 500
            log.warning("metrics not read: %s", type(error).__name__)
            return web.Response(status=503, text="the Store did not answer\n")
        response = web.Response(body=render(health))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    return scrape
