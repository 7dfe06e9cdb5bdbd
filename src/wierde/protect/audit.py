"""The audit log: who did or saw what, when, and why; append-only and hash-chained so any edit shows.

In the spirit of the government's Logboek Dataverwerkingen, each read of non-public data carries the purpose the
principal stated. Each entry stores the SHA-256 of the previous entry's hash followed by its own canonical JSON;
`verify_chain` recomputes them all. Appends are serialised in one database transaction (BEGIN IMMEDIATE on SQLite,
a locked head row on PostgreSQL), so concurrent writers, in one process or many, never fork the chain.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from wierde.errors import InvalidInput
from wierde.protect.access import Principal
from wierde.protect.account_models import AuditEntry, AuditHead, aware
from wierde.store.models import utcnow
from wierde.store.repository import Store

GENESIS = "0" * 64
COLUMNS = ("seq", "at", "who", "kind", "action", "target", "purpose", "outcome", "client", "detail",
           "prev_hash", "hash")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: datetime
    who: str
    kind: str
    action: str
    target: str
    purpose: str | None
    outcome: str
    client: str
    detail: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""

    @classmethod
    def of(cls, row: AuditEntry) -> AuditRecord:
        return cls(seq=row.seq, at=aware(row.at), who=row.who, kind=row.kind, action=row.action, target=row.target,
                   purpose=row.purpose, outcome=row.outcome, client=row.client, detail=dict(row.detail or {}),
                   prev_hash=row.prev_hash, hash=row.hash)

    def body(self) -> bytes:
        """The canonical JSON the hash covers: sorted keys, no spaces, UTF-8, the time in UTC to the microsecond."""
        fields = {**asdict(self), "at": stamp(self.at)}
        fields.pop("prev_hash"), fields.pop("hash")
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def expected_hash(self) -> str:
        return hashlib.sha256(self.prev_hash.encode() + self.body()).hexdigest()

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "at": stamp(self.at)}


@dataclass(frozen=True)
class ChainBreak:
    """The first place the log stops proving itself: an edited, removed or inserted entry, or a cut-off tail."""

    seq: int
    reason: str
    entry: AuditRecord | None


def stamp(moment: datetime) -> str:
    return aware(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- writing ----------------------------------------------------------------------------------------------------
def record(store: Store, *, who: str, kind: str, action: str, target: str = "", purpose: str | None = None,
           outcome: str = "success", client: str = "", detail: dict[str, Any] | None = None) -> AuditRecord:
    """Append one entry and return it (with its place in the chain)."""
    # Normalised before hashing, so what is read back hashes exactly as what was written.
    clean_detail = json.loads(json.dumps(detail or {}, default=str))
    with store.session() as session:
        head = _lock_head(session, store.engine.dialect.name)
        entry = AuditRecord(seq=head.seq + 1, at=utcnow(), who=(who or "")[:200],
                            kind=(kind or "")[:20], action=action[:50], target=target or "", purpose=purpose or None,
                            outcome=outcome[:20], client=(client or "")[:100], detail=clean_detail,
                            prev_hash=head.hash)
        entry = AuditRecord(**{**asdict(entry), "hash": entry.expected_hash()})
        session.add(AuditEntry(**asdict(entry)))
        head.seq, head.hash = entry.seq, entry.hash
        return entry


def record_for(store: Store, principal: Principal, action: str, *, target: str = "", outcome: str = "success",
               client: str = "", detail: dict[str, Any] | None = None) -> AuditRecord:
    """Append what a principal did, with the purpose it stated (and its address, unless `client` is given)."""
    return record(store, who=principal.name or principal.kind, kind=principal.kind, action=action, target=target,
                  purpose=principal.purpose, outcome=outcome, client=client or principal.address or "",
                  detail=detail)


def _lock_head(session: Session, dialect: str) -> AuditHead:
    if dialect == "sqlite":
        # Take the write lock before reading the head: a deferred transaction could read a head another
        # writer is about to move, and two entries would then claim the same predecessor.
        session.execute(text("BEGIN IMMEDIATE"))
    return session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()


# -- checking ---------------------------------------------------------------------------------------------------
def verify_chain(store: Store) -> ChainBreak | None:
    """None when every entry and the head agree; otherwise the first break."""
    previous, expected_seq = GENESIS, 1
    with store.session() as session:
        for row in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().yield_per(1000):
            entry = AuditRecord.of(row)
            if entry.seq != expected_seq:
                return ChainBreak(expected_seq, f"entry {expected_seq} is missing", entry)
            if entry.prev_hash != previous:
                return ChainBreak(entry.seq, "does not follow the entry before it", entry)
            if entry.hash != entry.expected_hash():
                return ChainBreak(entry.seq, "its content does not match its hash (edited)", entry)
            previous, expected_seq = entry.hash, expected_seq + 1
        head = session.get(AuditHead, 1)
        if head is None or head.seq != expected_seq - 1 or head.hash != previous:
            seq = head.seq if head is not None else expected_seq
            return ChainBreak(seq, "the newest entries are missing (the head points further)", None)
    return None


# -- reading ----------------------------------------------------------------------------------------------------
def _query(who: str | None, action: str | None, since: datetime | None, until: datetime | None,
           target: str | None, outcome: str | None) -> Select[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if who:
        query = query.where(AuditEntry.who == who)
    if action:
        query = query.where(AuditEntry.action == action)
    if target:
        query = query.where(AuditEntry.target == target)
    if outcome:
        query = query.where(AuditEntry.outcome == outcome)
    # Stored as UTC; SQLite compares the text, so the bounds must be UTC too.
    if since:
        query = query.where(AuditEntry.at >= aware(since).astimezone(UTC))
    if until:
        query = query.where(AuditEntry.at < aware(until).astimezone(UTC))
    return query


def search(store: Store, *, who: str | None = None, action: str | None = None, since: datetime | None = None,
           until: datetime | None = None, target: str | None = None, outcome: str | None = None,
           limit: int | None = 1000) -> list[AuditRecord]:
    """Matching entries, oldest first; with a limit, the newest `limit` of them."""
    query = _query(who, action, since, until, target, outcome)
    if limit is not None:
        query = query.order_by(None).order_by(AuditEntry.seq.desc()).limit(limit)
    with store.session() as session:
        found = [AuditRecord.of(row) for row in session.scalars(query)]
    return sorted(found, key=lambda e: e.seq)


def iter_entries(store: Store, **filters: Any) -> Iterator[AuditRecord]:
    """Every matching entry, oldest first, read in batches (the log may be long)."""
    with store.session() as session:
        for row in session.execute(_query(**{k: filters.get(k) for k in (
                "who", "action", "since", "until", "target", "outcome")})).scalars().yield_per(1000):
            yield AuditRecord.of(row)


def export(store: Store, out: TextIO, fmt: str = "ndjson", **filters: Any) -> int:
    """Write the log as NDJSON (exact; re-verifiable) or CSV (for spreadsheets: text that a spreadsheet would run
    as a formula gets a leading ')."""
    if fmt not in ("csv", "ndjson"):
        raise InvalidInput(f"format {fmt!r} is not one of csv, ndjson")
    writer = csv.writer(out, lineterminator="\r\n") if fmt == "csv" else None
    if writer:
        writer.writerow(COLUMNS)
    count = 0
    for entry in iter_entries(store, **filters):
        row = entry.as_json()
        if writer:
            writer.writerow([_cell(row[c]) for c in COLUMNS])
        else:
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text_value = json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict) else str(value)
    return "'" + text_value if text_value.startswith(FORMULA_START) else text_value
