"""The Redis Store's due work: timers, the outbox and the inbox (sorted sets of due times, claims
as Lua scripts), and the late work the auditor looks for."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

from state import codec
from state.due import FORGET_INSTANCES_AFTER_SECONDS, Claim, DueItem, Overdue, Queue, Undelivered, lease_token
from state.redis_base import RedisBase, _text, _texts
from state.redis_effects import gc_ms


class RedisDueWork(RedisBase):
    async def schedule_due(self, item: DueItem, *, replace: bool = False) -> bool:
        args = [item.item_id, item.due_at.timestamp(), codec.dumps(item), "1" if replace else "0"]
        return bool(await self._run("SCHEDULE_DUE", self._keys.due(item.queue), args))

    async def claim_due(self, queue: Queue, *, limit: int, lease_seconds: float, holder: str = "") -> list[Claim]:
        """One Lua step picks and leases, so two claimers can never take the same item."""
        now = self._now()
        keys = [*self._keys.due(queue)[:3], self._keys.instances]
        flat = await self._run("CLAIM_DUE", keys, [now, now + lease_seconds, limit, lease_token(holder)])
        return [Claim(codec.loads(DueItem, flat[i]), _text(flat[i + 1])) for i in range(0, len(flat), 2)]

    async def heartbeat(self, holder: str, *, alive_seconds: float) -> None:
        now = self._now()
        await self._redis.hset(self._keys.instances, holder, now + alive_seconds)
        stale = [name for name, until in (await self._redis.hgetall(self._keys.instances)).items()
                 if float(until) < now - FORGET_INSTANCES_AFTER_SECONDS]
        if stale:
            await self._redis.hdel(self._keys.instances, *stale)

    async def finish_due(self, claim: Claim) -> bool:
        return await self._settle("FINISH_DUE", claim)

    async def retry_due(self, claim: Claim, *, delay_seconds: float, error: str, attempt: bool = True) -> bool:
        item = replace(claim.item, attempts=claim.item.attempts + attempt, last_error=error)
        return await self._settle("RETRY_DUE", claim, codec.dumps(item), self._now() + delay_seconds)

    async def release_due(self, claim: Claim) -> bool:
        return await self._settle("RETRY_DUE", claim, codec.dumps(claim.item), claim.item.due_at.timestamp())

    async def park_due(self, claim: Claim, *, error: str) -> bool:
        item = replace(claim.item, attempts=claim.item.attempts + 1, last_error=error)
        return await self._settle("PARK_DUE", claim, codec.dumps(item))

    async def _settle(self, script: str, claim: Claim, *args: Any) -> bool:
        """Lua: only the current lease holder may settle; a claim whose lease ran out changes nothing."""
        keys = self._keys.due(claim.item.queue)
        return bool(await self._run(script, keys, [claim.item.item_id, claim.token, *args]))

    async def cancel_due(self, queue: Queue, item_id: str) -> bool:
        keys = self._keys.due(queue)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(keys.items, item_id)
            pipe.zrem(keys.by_time, item_id)
            pipe.hdel(keys.leases, item_id)
            pipe.srem(keys.parked, item_id)
            removed, *_ = await pipe.execute()
        return bool(removed)

    async def get_due(self, queue: Queue, item_id: str) -> DueItem | None:
        return await self._hget(DueItem, self._keys.due(queue).items, item_id)

    async def list_parked(self, queue: Queue) -> list[DueItem]:
        keys = self._keys.due(queue)
        ids = sorted(_texts(await self._redis.smembers(keys.parked)), key=lambda item_id: item_id.encode())
        rows = await self._redis.hmget(keys.items, ids) if ids else []
        return [codec.loads(DueItem, row) for row in rows if row is not None]

    async def list_undelivered(self, queue: Queue) -> list[Undelivered]:
        keys, now = self._keys.due(queue), self._now()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(keys.items)
            pipe.smembers(keys.parked)
            pipe.hgetall(keys.leases)
            pipe.zrange(keys.by_time, 0, -1, withscores=True)
            items, parked, leases, scores = await pipe.execute()
        parked, leased, due = set(_texts(parked)), set(_texts(leases)), {_text(member): score for member, score in scores}
        found = []
        for item_id, data in sorted(((_text(k), v) for k, v in items.items()), key=lambda pair: pair[0].encode()):
            item = codec.loads(DueItem, data)
            in_hand = item_id in leased and due.get(item_id, 0) > now
            if in_hand or not (item_id in parked or item.last_error):
                continue
            waiting_until = None if item_id in parked else datetime.fromtimestamp(due.get(item_id, now), UTC)
            found.append(Undelivered(item, item_id in parked, waiting_until))
        return found

    async def redrive_due(self, queue: Queue, *, item_ids: Collection[str] = (), partitions: Collection[str] = ()) -> int:
        wanted, recipients = set(item_ids), set(partitions)
        chosen = [u.item.item_id for u in await self.list_undelivered(queue)
                  if u.item.item_id in wanted or u.item.partition in recipients]
        return int(await self._run("REDRIVE_DUE", self._keys.due(queue), [self._now(), *chosen])) if chosen else 0

    async def due_depth(self, queue: Queue) -> int:
        return int(await self._redis.hlen(self._keys.due(queue).items))

    async def overdue(self, queue: Queue, *, due_before: datetime) -> Overdue:
        """A claim moves an item's score to its lease's end: an item in hand is late only once its
        lease ran out; one whose partition (recipient) has an item in hand waits its turn."""
        keys, now = self._keys.due(queue), self._now()
        late = cast(list[tuple[bytes, float]],
                    await self._redis.zrangebyscore(keys.by_time, "-inf", f"({due_before.timestamp()!r}", withscores=True))
        if not late:
            return Overdue()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hkeys(keys.leases)
            pipe.zrangebyscore(keys.by_time, f"({now!r}", "+inf")
            leased, later = await pipe.execute()
        held = set(_texts(leased)) & set(_texts(later))
        ids = [_text(item_id) for item_id, _ in late]
        rows = await self._redis.hmget(keys.items, [*ids, *held]) if held else await self._redis.hmget(keys.items, ids)
        busy = {codec.loads(DueItem, row).partition for row in rows[len(ids):] if row is not None} - {""}
        waiting = [(codec.loads(DueItem, row), since) for row, (_, since) in zip(rows[:len(ids)], late, strict=True) if row is not None]
        waiting = [(item, since) for item, since in waiting if item.partition not in busy]
        if not waiting:
            return Overdue()
        item, since = waiting[0]
        return Overdue(len(waiting), item, datetime.fromtimestamp(since, UTC))

    async def accept_inbound(self, key: str, item: DueItem, ttl_seconds: float) -> bool:
        """One Lua step: a crash can never remember the delivery without queueing it."""
        now = self._now()
        keys = [self._keys.seen(key), *self._keys.due(item.queue)]
        args = [now, now + ttl_seconds, gc_ms(ttl_seconds), item.item_id, item.due_at.timestamp(), codec.dumps(item)]
        return bool(await self._run("ACCEPT_INBOUND", keys, args))
