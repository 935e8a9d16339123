"""The audit chain's verification on its own: what each kind of tampering is reported as."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from state.audit_chain import GENESIS, ChainEnds, Finding, SealedRecord, seal, verify


def chain(count: int, *, anchor: tuple[int, str] = (0, GENESIS)) -> tuple[list[SealedRecord], ChainEnds]:
    records, prev = [], anchor[1]
    for seq in range(anchor[0] + 1, anchor[0] + count + 1):
        data = f'{{"action":"case.note","n":{seq}}}'
        records.append(SealedRecord(place=seq, seq=seq, data=data, prev=prev, seal=seal(prev, seq, data)))
        prev = records[-1].seal
    return records, ChainEnds(anchor[0], anchor[1], anchor[0] + count, prev)


def kinds(findings: list[Finding]) -> list[tuple[str, int]]:
    return [(f.kind, f.seq) for f in findings]


def test_an_intact_chain_has_no_findings_and_the_seal_is_sha256() -> None:
    records, ends = chain(8)
    assert verify(records, ends) == []
    assert seal(GENESIS, 1, "x") == hashlib.sha256(f"{GENESIS}\n1\nx".encode()).hexdigest()  # as the README documents it
    assert verify([], ChainEnds()) == []


def test_an_edited_record_is_named() -> None:
    records, ends = chain(8)
    records[4] = replace(records[4], data=records[4].data.replace("note", "closed"))
    assert kinds(verify(records, ends)) == [("edited", 5)]


def test_a_deleted_record_and_the_newest_deleted_are_named() -> None:
    records, ends = chain(8)
    assert kinds(verify(records[:3] + records[4:], ends)) == [("deleted", 4)]
    assert kinds(verify(records[:-2], ends)) == [("deleted", 7), ("deleted", 8)]


def test_records_swapped_in_a_list_or_under_each_others_seq_are_reordered() -> None:
    records, ends = chain(8)
    listed = [replace(r, place=(6 if r.seq == 5 else 5 if r.seq == 6 else r.place)) for r in records]  # Redis: a list's items moved
    assert kinds(verify(listed, ends)) == [("reordered", 5)]
    renumbered = [replace(r, place=p, seq=p) for r, p in zip(records, [1, 2, 3, 4, 6, 5, 7, 8], strict=True)]  # SQLite: keys swapped
    assert kinds(verify(renumbered, ends)) == [("reordered", 5), ("reordered", 6)]


def test_an_edit_sealed_again_breaks_the_next_link_or_the_head() -> None:
    records, ends = chain(8)
    forged = records[4].data.replace("note", "closed")
    records[4] = replace(records[4], data=forged, seal=seal(records[4].prev, 5, forged))
    assert kinds(verify(records, ends)) == [("resealed", 5)]
    last = records[7].data + " "
    records[7] = replace(records[7], data=last, seal=seal(records[7].prev, 8, last))
    assert kinds(verify(records, ends)) == [("resealed", 5), ("resealed", 8)]


def test_a_chain_after_a_purge_follows_its_anchor() -> None:
    records, ends = chain(5, anchor=(40, seal(GENESIS, 40, "purged")))
    assert verify(records, ends) == []
    assert kinds(verify(records, replace(ends, anchor_seal=GENESIS))) == [("resealed", 41)]


@given(st.integers(min_value=1, max_value=20), st.data())
def test_any_single_deletion_or_edit_is_found(count: int, data: st.DataObject) -> None:
    records, ends = chain(count)
    victim = data.draw(st.integers(min_value=0, max_value=count - 1))
    assert kinds(verify(records[:victim] + records[victim + 1:], ends)) == [("deleted", victim + 1)]
    edited = [*records[:victim], replace(records[victim], data=records[victim].data + "!"), *records[victim + 1:]]
    assert kinds(verify(edited, ends)) == [("edited", victim + 1)]
