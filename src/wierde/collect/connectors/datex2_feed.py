"""One parser for every DATEX II publication NDW serves, v2.3 or v3: stream it, stage its rows, type the table.

The publication's kind follows from its records (situation, siteMeasurements, measurementSiteRecord or
measurementSite) and is checked against the payload's xsi:type; records are staged to Parquet as they arrive and
DuckDB turns the stage into the final, typed table (TIMESTAMPTZ times, joined site metadata) in one COPY. The final
file appears under its name only when everything succeeded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from wierde.collect.connectors import datex2_measurements, datex2_sites, datex2_situations
from wierde.collect.connectors.datex2_stream import open_body, records, text, type_name
from wierde.collect.http import Fetcher, HarvestError
from wierde.sqltext import quote_literal
from wierde.store.duck import connect

BATCH_ROWS = 50_000


class Stager:
    """Rows appended as tuples, written to a Parquet file in batches so memory stays flat on a national feed."""

    def __init__(self, path: Path, schema: pa.Schema, batch_rows: int = BATCH_ROWS) -> None:
        self.path, self.schema, self.batch_rows = path, schema, batch_rows
        self.rows = 0
        self._pending: list[tuple[Any, ...]] = []
        self._writer: pq.ParquetWriter | None = None

    def extend(self, rows: list[tuple[Any, ...]]) -> None:
        self._pending.extend(rows)
        if len(self._pending) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        # one C-level pass per column; zip(*rows) would build a 50,000-argument call first
        arrays = [pa.array(list(map(itemgetter(i), self._pending)), type=f.type) for i, f in enumerate(self.schema)]
        self._writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
        self.rows += len(self._pending)
        self._pending = []

    def close(self) -> int:
        """Write what is left (an empty file with the schema when there were no rows) and return the count."""
        if self._pending or self._writer is None:
            self._flush()
        assert self._writer is not None
        self._writer.close()
        return self.rows

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Kind:
    """A publication type this connector reads: its records, how each becomes rows, and the stage's schema."""

    name: str
    publication: str
    records: tuple[str, ...]
    stage: pa.Schema
    rows: Callable[[Element, str | None], Iterable[tuple[object, ...]]]


SITUATIONS = Kind("situations", datex2_situations.PUBLICATION, (datex2_situations.RECORD,),
                  datex2_situations.STAGE, datex2_situations.rows)
MEASUREMENTS = Kind("measurements", datex2_measurements.PUBLICATION, (datex2_measurements.RECORD,),
                    datex2_measurements.STAGE, datex2_measurements.rows)
SITES = Kind("sites", datex2_sites.PUBLICATION, datex2_sites.RECORDS, datex2_sites.STAGE, datex2_sites.rows)
KINDS = (SITUATIONS, MEASUREMENTS, SITES)
BY_RECORD = {record: kind for kind in KINDS for record in kind.records}
BY_PUBLICATION = {kind.publication: kind for kind in KINDS}
CONTAINERS = ("payloadPublication", "payload")  # v2.3, v3: the element whose xsi:type names the publication
NAMES = ("publicationTime", *CONTAINERS, *BY_RECORD)


@dataclass
class Parsed:
    """What one document gave: its kind, the staged rows, and what the metadata and the log need."""

    url: str
    stage: Path
    kind: Kind | None = None
    declared: str | None = None
    publication_time: str | None = None
    records: int = 0
    rows: int = 0
    subtypes: Counter[str] = field(default_factory=Counter)
    _stager: Stager | None = None

    def take(self, name: str, elem: Element, prefix: str | None) -> None:
        if name == "publicationTime":
            self.publication_time = self.publication_time or text(elem)
        elif name in CONTAINERS:
            self.declared = self.declared or type_name(elem)
        else:
            self._take_record(BY_RECORD[name], elem, prefix)

    def _take_record(self, kind: Kind, elem: Element, prefix: str | None) -> None:
        stager = self._stager_for(kind)
        self.records += 1
        subtype = kind.stage.get_field_index("situation_type")
        try:
            produced = list(kind.rows(elem, prefix))
        except (ValueError, TypeError) as error:
            raise HarvestError(f"{self.url}: record {self.records} ({kind.records[0]}): {error}") from None
        stager.extend(produced)
        if subtype >= 0:
            self.subtypes.update(str(row[subtype]) for row in produced)

    def _stager_for(self, kind: Kind) -> Stager:
        if self.kind is None or self._stager is None:
            self.kind, self._stager = kind, Stager(self.stage, kind.stage)
        elif self.kind is not kind:
            raise HarvestError(f"{self.url}: mixes {self.kind.publication} and {kind.publication} records")
        return self._stager

    def finish(self) -> None:
        """Close the stage; an empty publication still gets a table with the right columns."""
        declared = BY_PUBLICATION.get(self.declared or "")
        if self.kind is None:
            if declared is None:
                raise HarvestError(f"{self.url}: {_unsupported(self.declared)}")
            self._stager_for(declared)
        elif declared is not None and declared is not self.kind:
            raise HarvestError(f"{self.url}: a {self.declared} holding {self.kind.publication} records")
        assert self._stager is not None
        self.rows = self._stager.close()

    def discard(self) -> None:
        if self._stager is not None:
            self._stager.discard()
        self.stage.unlink(missing_ok=True)


def _unsupported(declared: str | None) -> str:
    known = ", ".join(kind.publication for kind in KINDS)
    if declared:
        return f"a {declared}; this connector reads {known}"
    return f"no DATEX II publication found (v2.3 payloadPublication or v3 payload with {known})"


def parse(fetcher: Fetcher, url: str, prefix: str | None, stage: Path) -> Parsed:
    """Stream `url` through the defused parser into `stage`; on any failure nothing is left behind."""
    parsed = Parsed(url, stage)
    try:
        body = open_body(fetcher.stream(url), url, fetcher.max_bytes, fragment_root="measurementSite")
        for name, elem in records(body, url, NAMES):
            parsed.take(name, elem, prefix)
        parsed.finish()
    except BaseException:
        parsed.discard()
        raise
    return parsed


def timestamp_literal(value: str | None, url: str) -> str:
    """The publication time as a SQL TIMESTAMPTZ literal, checked here so SQL only ever sees a valid one."""
    if value is None:
        return "CAST(NULL AS TIMESTAMPTZ)"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise HarvestError(f"{url}: publicationTime {value!r} is not an ISO 8601 time") from None
    return f"CAST({quote_literal(moment.isoformat())} AS TIMESTAMPTZ)"


def final_sql(feed: Parsed, sites: list[Parsed]) -> str:
    published = timestamp_literal(feed.publication_time, feed.url)
    stage = str(feed.stage)
    if feed.kind is SITUATIONS:
        return datex2_situations.select_sql(stage, published)
    if feed.kind is SITES:
        return datex2_sites.select_sql(stage, published)
    return datex2_measurements.select_sql(stage, published, [str(s.stage) for s in sites] or None)


def write_table(feed: Parsed, sites: list[Parsed], target: Path, workdir: Path) -> int:
    """COPY the typed table to `target` (written under another name first, so a failure leaves no file)."""
    partial = target.with_name(target.name + ".partial")
    con = connect(extensions=(), memory_limit="1GB", temp_directory=workdir / "duckdb-spill")
    try:
        con.execute("SET TimeZone = 'UTC'")  # DATEX II times are UTC; one without a zone must not take the host's
        row = con.execute(f"COPY ({final_sql(feed, sites)}) TO {quote_literal(str(partial))} "
                          "(FORMAT parquet, COMPRESSION zstd)").fetchone()
    except duckdb.Error as error:
        partial.unlink(missing_ok=True)
        raise HarvestError(f"{feed.url}: cannot build the table ({error})") from None
    finally:
        con.close()
    partial.replace(target)
    return int(row[0]) if row else 0
