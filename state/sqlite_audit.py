"""The embedded Store's audit log as a sealed chain (state/audit_chain.py): each record is
appended with the seal of the one before it, in the same transaction as the decision it records.

The chain's two ends live in `audit_chain`: the anchor (what the first stored record follows:
GENESIS, or the last record a purge removed) and the head (the last seq handed out and its
seal). A new record takes the head's seq + 1, so a record deleted behind the Store's back leaves
a gap that verification names, never a reused number. A database written before the chain
existed is sealed once, in order, when this version first opens it.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
from datetime import datetime

from state.audit_chain import GENESIS, ChainEnds, SealedRecord, seal, stamped

ANCHOR, HEAD = "anchor", "head"
log = logging.getLogger("esafety.store")


def append_sealed(c: sqlite3.Connection, data: str) -> int:
    """Append one record's text after the head, inside the caller's transaction; its seq. A row
    someone put past the head behind the Store's back takes no number from the bot: the record
    goes after it (so the decision is still recorded) and `audit verify` names the intruder."""
    head, prev = c.execute("SELECT seq, seal FROM audit_chain WHERE end_name = ?", (HEAD,)).fetchone()
    seq = max(head, c.execute("SELECT coalesce(max(seq), 0) FROM audit").fetchone()[0]) + 1
    sealed = seal(prev, seq, data)
    c.execute("INSERT INTO audit (seq, data, prev, seal) VALUES (?, ?, ?, ?)", (seq, data, prev, sealed))
    c.execute("UPDATE audit_chain SET seq = ?, seal = ? WHERE end_name = ?", (seq, sealed, HEAD))
    return int(seq)


def purge_prefix(c: sqlite3.Connection, count: int, before: datetime) -> tuple[int, int]:
    """Delete at most the first `count` records, and only those stamped before `before`, inside
    the caller's transaction; the last one deleted becomes the anchor. (How many, the anchor's seq.)"""
    rows = c.execute("SELECT seq, data, seal FROM audit ORDER BY seq LIMIT ?", (count,)).fetchall()
    prefix = list(itertools.takewhile(lambda row: stamped(row[1]) < before, rows))
    if not prefix:
        return 0, chain_ends(c).anchor_seq
    last_seq, _, last_seal = prefix[-1]
    c.execute("DELETE FROM audit WHERE seq <= ?", (last_seq,))
    c.execute("UPDATE audit_chain SET seq = ?, seal = ? WHERE end_name = ?", (last_seq, last_seal, ANCHOR))
    return len(prefix), int(last_seq)


def chain_ends(c: sqlite3.Connection) -> ChainEnds:
    ends = dict(c.execute("SELECT end_name, seq || ' ' || seal FROM audit_chain").fetchall())
    anchor_seq, anchor_seal = ends[ANCHOR].split(" ")
    head_seq, head_seal = ends[HEAD].split(" ")
    return ChainEnds(int(anchor_seq), anchor_seal, int(head_seq), head_seal)


def read_sealed(c: sqlite3.Connection, *, after_seq: int, limit: int) -> list[SealedRecord]:
    rows = c.execute("SELECT seq, data, coalesce(prev, ''), coalesce(seal, '') FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
                     (after_seq, limit)).fetchall()
    return [SealedRecord(place=seq, seq=seq, data=data, prev=prev, seal=sealed) for seq, data, prev, sealed in rows]


def seal_existing_log(c: sqlite3.Connection) -> int:
    """Give a log from before the chain its columns and seals, once; how many records it sealed.
    Two processes opening the database at once do it once (one immediate transaction). A log
    that has seals is never sealed again, whatever else is missing: if the chain's ends were
    removed, they are put back from the log with an error logged, and `audit verify` judges it."""
    c.execute("BEGIN IMMEDIATE")
    try:
        if "seal" not in {row[1] for row in c.execute("PRAGMA table_info(audit)")}:
            c.execute("ALTER TABLE audit ADD COLUMN prev TEXT")
            c.execute("ALTER TABLE audit ADD COLUMN seal TEXT")
        ends = {name for (name,) in c.execute("SELECT end_name FROM audit_chain")}
        sealed_any = c.execute("SELECT 1 FROM audit WHERE seal IS NOT NULL LIMIT 1").fetchone() is not None
        sealed = 0
        if not ends and not sealed_any:
            sealed = _seal_in_order(c)
        elif ends != {ANCHOR, HEAD}:
            _restore_ends(c, ends)
        c.execute("COMMIT")
    except Exception:
        c.execute("ROLLBACK")
        raise
    return sealed


def _seal_in_order(c: sqlite3.Connection) -> int:
    first = c.execute("SELECT min(seq) FROM audit").fetchone()[0]
    anchor = (first - 1) if first else 0
    prev, last, count = GENESIS, anchor, 0
    for seq, data in c.execute("SELECT seq, data FROM audit ORDER BY seq").fetchall():
        sealed = seal(prev, seq, data)
        c.execute("UPDATE audit SET prev = ?, seal = ? WHERE seq = ?", (prev, sealed, seq))
        prev, last, count = sealed, seq, count + 1
    c.executemany("INSERT INTO audit_chain (end_name, seq, seal) VALUES (?, ?, ?)", [(ANCHOR, anchor, GENESIS), (HEAD, last, prev)])
    return count


def _restore_ends(c: sqlite3.Connection, present: set[str]) -> None:
    """The log is sealed but an end of its chain is gone: the anchor becomes the log's start and
    the head its last record, so the bot can go on recording; whether records went with them,
    no one can tell any more, and the error says so."""
    log.error("the audit chain's %s %s missing from the database: restored from the log as it is now; records removed with "
              "them cannot be detected (run esafety-bot audit verify, and compare with the last digest's seal)",
              " and ".join(sorted({ANCHOR, HEAD} - present)), "is" if len(present) == 1 else "are")
    if ANCHOR not in present:
        c.execute("INSERT INTO audit_chain (end_name, seq, seal) VALUES (?, 0, ?)", (ANCHOR, GENESIS))
    if HEAD not in present:
        last = c.execute("SELECT seq, seal FROM audit ORDER BY seq DESC LIMIT 1").fetchone() or (0, GENESIS)
        c.execute("INSERT INTO audit_chain (end_name, seq, seal) VALUES (?, ?, ?)", (HEAD, last[0], last[1] or GENESIS))
