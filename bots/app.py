"""The composition root: settings → Store → handlers → channels → aiohttp app.

This is the only place that constructs things (STYLE.md lesson 10); nothing is built at import
time and there are no module-level singletons, so tests and the demo build as many bots as they
need, each with its own Store and clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

from aiohttp import web

from bots.background import run_in_background
from bots.config import Settings
from bots.console.app import console_app
from bots.console.context import Operations
from bots.directories import change_readers, directory_readers
from bots.doctor import examine_settings
from bots.http import MAX_BODY_BYTES, channel_off, healthz, log_requests, readiness
from bots.metrics import metrics
from bots.router import MessengerByChannel
from bots.store import store_for
from bots.teams.channel import TeamsChannel, TeamsOptions, build_teams
from bots.teams.graph import Sleep
from bots.wecom.channel import WecomChannel, WecomOptions, build_wecom
from handlers.auditor import Auditor
from handlers.case_review import arm_reviews
from handlers.digest import arm_digest
from handlers.directory_schedule import (
    CHANGED,
    SYNC,
    ChangeReader,
    Reader,
    arm_directory_sync,
    run_directory_change,
    run_directory_sync,
)
from handlers.dispatch import Dispatcher
from handlers.drill import arm_drill
from handlers.duties import Deps
from handlers.heartbeat import Heartbeat, instance_id
from handlers.messenger import Messenger
from handlers.not_saved import not_saved_reply
from handlers.routes import due_work, policy_routes
from handlers.runtime.doorbell import Doorbell
from handlers.runtime.worker import DueWorker
from policy_text.catalog import Catalog
from state.clock import Clock, SystemClock
from state.due import Queue
from state.store import Store


@dataclass(frozen=True)
class Bot:
    """Everything a running bot is made of, built once by `bootstrap`."""

    settings: Settings
    store: Store
    clock: Clock
    catalog: Catalog
    messenger: MessengerByChannel
    deps: Deps
    dispatcher: Dispatcher
    teams: TeamsChannel | None = None
    wecom: WecomChannel | None = None
    directories: Mapping[str, Reader] = field(default_factory=dict)  # the channels whose school directory is synced
    directory_changes: Mapping[str, ChangeReader] = field(default_factory=dict)  # those whose directory reports each change

    def channel_report(self) -> dict[str, str]:
        """Each channel's state as `serve` prints it and as its route answers when off."""
        return self.settings.channel_status()


async def bootstrap(settings: Settings, *, clock: Clock | None = None, teams_options: TeamsOptions | None = None,
                    wecom_options: WecomOptions | None = None, directory_sleep: Sleep | None = None) -> Bot:
    """Load the policy text (checked), open the Store (must answer), build the channels that
    are configured and wire the duties."""
    catalog = Catalog.load()
    clock = clock or SystemClock()
    store = await store_for(settings, clock)
    doorbell = Doorbell()
    not_saved = not_saved_reply(catalog, settings.cases, settings.locale)
    teams = build_teams(settings, store, catalog, clock, doorbell, not_saved, teams_options)
    wecom = build_wecom(settings, store, catalog, clock, doorbell, not_saved, wecom_options)
    channels: dict[str, Messenger] = {}
    if teams:
        channels["teams"] = teams.messenger
    if wecom:
        channels["wecom"] = wecom.messenger
    messenger = MessengerByChannel(channels)
    deps = Deps(store=store, messenger=messenger, clock=clock, catalog=catalog,
                school_locale=settings.locale, school_timezone=settings.timezone, cases=settings.cases,
                supervision=settings.supervision, reminders=settings.reminders, doorbell=doorbell,
                channels=messenger.channels)
    return Bot(settings, store, clock, catalog, messenger, deps, Dispatcher(policy_routes(), deps), teams, wecom,
               directory_readers(settings, store, clock, sleep=directory_sleep), change_readers(settings, store))


IN_HAND = {Queue.INBOX: 32, Queue.OUTBOX_FIRST: 16, Queue.OUTBOX: 16, Queue.TIMERS: 8}
"""Items each worker has in hand at once. More in hand means their Store writes share group
commits (one fsync for many); the outbox stays within Teams' app-wide rate through its send
slots whatever this is; one sender's inbox items still run one at a time (partitions)."""


def background_workers(bot: Bot, holder: str) -> list[DueWorker]:
    """One worker per queue that has durable work to do; the one inbox holds what both
    channels' webhooks accepted (DESIGN.md, data flow). Their claims carry `holder`, this
    instance's id (handlers/heartbeat.py)."""
    lease = bot.settings.work_lease_seconds
    work = due_work(bot.deps)
    work[Queue.INBOX] = {}
    if bot.teams is not None:
        work[Queue.INBOX] |= bot.teams.inbox(bot.dispatcher).handlers()
    if bot.wecom is not None:
        work[Queue.INBOX] |= bot.wecom.inbox(bot.dispatcher).handlers()
        work[Queue.TIMERS] |= bot.wecom.timers()
    if bot.directories:
        cron = bot.settings.directory_sync
        work[Queue.TIMERS][SYNC] = lambda item: run_directory_sync(item, bot.deps, bot.directories, cron)
        work[Queue.TIMERS][CHANGED] = lambda item: run_directory_change(item, bot.deps, bot.directories, bot.directory_changes)
    return [DueWorker(bot.store, queue, handlers, lease_seconds=lease, doorbell=bot.deps.doorbell, concurrency=IN_HAND[queue],
                      holder=holder) for queue, handlers in work.items()]


def build_app(bot: Bot, *, workers: bool = True) -> web.Application:
    """The HTTP face of the bot, with its background workers unless told otherwise. Bodies over
    256 KiB are refused with 413 by aiohttp itself."""
    margin = bot.settings.auditor_margin_seconds
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[log_requests(bot.deps.tallies)])
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readiness(bot.store, bot.messenger.channels, bot.clock, margin))
    app.router.add_get("/metrics", metrics(bot.store, bot.messenger.channels, bot.clock, margin))
    report = bot.channel_report()
    if bot.teams is not None:
        app.router.add_post("/api/messages", bot.teams.endpoint.handle)
    else:
        app.router.add_post("/api/messages", channel_off("teams", report["teams"].removeprefix("off: ")))
    if bot.wecom is not None:
        app.router.add_get("/wecom/callback", bot.wecom.callbacks.verify_url)
        app.router.add_post("/wecom/callback", bot.wecom.callbacks.receive)
    else:
        app.router.add_route("*", "/wecom/callback", channel_off("wecom", report["wecom"].removeprefix("off: ")))
    operations = Operations(channels=report, margin_seconds=margin, doctor=lambda: examine_settings(bot.settings, bot.clock))
    app.add_subapp("/console", console_app(bot.deps, bot.settings.console, bot.wecom.api if bot.wecom is not None else None, operations))

    async def arm_timers(_: web.Application) -> None:
        await arm_digest(bot.deps)
        await arm_drill(bot.deps)
        await arm_reviews(bot.deps)
        if bot.directories:
            await arm_directory_sync(bot.deps, bot.settings.directory_sync)

    app.on_startup.append(arm_timers)
    if workers:
        holder = instance_id()
        auditor = Auditor(bot.deps, margin)
        run_in_background(app, background_workers(bot, holder), Heartbeat(bot.store, holder),
                          [auditor.run_until, partial(bot.deps.tallies.run_until, bot.store)])

    async def close_clients_and_store(_: web.Application) -> None:
        if bot.teams is not None:
            await bot.teams.close()
        await bot.deps.tallies.flush(bot.store)  # the last counts, after the workers stopped
        await bot.store.close()

    app.on_cleanup.append(close_clients_and_store)
    return app
