"""DATEX II situations (NDW's bridge openings and other situation feeds) as one row per situation record.

Columns: the situation's and the record's id and version; `bridge_id` is the ISRS code NDW puts in the situation
id of a bridge (`NDW04_NLGRQ000130123300002_72738733` → `NLGRQ000130123300002`), else the ALERT-C point as
`table:location` (`6.8:31021`); `isrs_code` and `alertc_location` keep both. `lon`/`lat` are WGS84 (the display
point, else the point coordinates) as DOUBLE columns: the ingester and the regions keying make points later.
`start_time`/`end_time` are the validity's overallStartTime/overallEndTime (an opening still in progress has no
end). Times are TIMESTAMPTZ.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element

import pyarrow as pa

from wierde.collect.connectors.datex2_stream import first_text, local, number, text, type_name, version
from wierde.sqltext import quote_literal

RECORD = "situation"
PUBLICATION = "SituationPublication"
# country, UN/LOCODE, fairway section, object, hectometre: NL GRQ 00013 01233 00002
ISRS = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[A-Z0-9]{5}[A-Z0-9]{5}[0-9]{5}")

STAGE = pa.schema([
    ("situation_id", pa.string()), ("situation_version", pa.int64()),
    ("record_id", pa.string()), ("record_version", pa.int64()), ("record_type", pa.string()),
    ("situation_type", pa.string()), ("isrs_code", pa.string()), ("alertc_location", pa.string()),
    ("name", pa.string()), ("lon", pa.float64()), ("lat", pa.float64()),
    ("start_time", pa.string()), ("end_time", pa.string()),
    ("operator_action_status", pa.string()), ("probability_of_occurrence", pa.string()),
    ("source", pa.string()), ("record_version_time", pa.string()),
])

# the first element of each of these local names inside a record is what a row needs
WANTED = frozenset({
    "situationRecordVersionTime", "probabilityOfOccurrence", "overallStartTime", "overallEndTime",
    "operatorActionStatus", "sourceName", "locationForDisplay", "coordinatesForDisplay", "pointCoordinates",
    "alertCLocationTableNumber", "specificLocation", "roadName", "locationDescription",
})
DISPLAY = ("locationForDisplay", "coordinatesForDisplay", "pointCoordinates")  # v2 display, v3 display, the point


def isrs_code(*ids: str | None) -> str | None:
    for identifier in ids:
        for part in (identifier or "").split("_"):
            if ISRS.fullmatch(part):
                return part
    return None


def rows(situation: Element, prefix: str | None) -> Iterator[tuple[object, ...]]:
    """One row per situationRecord; `prefix` keeps situations whose id starts with it (a supplier, NDW04)."""
    situation_id = situation.get("id")
    if situation_id is None:
        raise ValueError("a situation without an id")
    if prefix and not situation_id.startswith(prefix):
        return
    for child in situation:
        if local(child.tag) == "situationRecord":
            yield _record_row(situation_id, version(situation.get("version")), child)


def _record_row(situation_id: str, situation_version: int | None, record: Element) -> tuple[object, ...]:
    found: dict[str, Element] = {}
    for node in record.iter():
        name = local(node.tag)
        if name in WANTED and name not in found:
            found[name] = node
    lon, lat = _point(found)
    table, location = text(found.get("alertCLocationTableNumber")), text(found.get("specificLocation"))
    record_id = record.get("id")
    return (
        situation_id, situation_version, record_id, version(record.get("version")), type_name(record),
        _subtype(record), isrs_code(situation_id, record_id),
        f"{table}:{location}" if table and location else location,
        first_text(found.get("roadName")) or first_text(found.get("locationDescription")),
        lon, lat, text(found.get("overallStartTime")), text(found.get("overallEndTime")),
        text(found.get("operatorActionStatus")), text(found.get("probabilityOfOccurrence")),
        first_text(found.get("sourceName")), text(found.get("situationRecordVersionTime")),
    )


def _point(found: dict[str, Element]) -> tuple[float | None, float | None]:
    for holder in DISPLAY:
        if holder in found:
            coordinates = {local(c.tag): text(c) for c in found[holder]}
            return number(coordinates.get("longitude")), number(coordinates.get("latitude"))
    return None, None


def _subtype(record: Element) -> str | None:
    """The record's own classification (generalNetworkManagementType = bridgeSwingInOperation, accidentType …)."""
    for child in record:
        name = local(child.tag)
        if name.endswith("Type") and name != "situationRecordType":
            return text(child)
    return None


def select_sql(stage: str, publication_time: str) -> str:
    """The final table: staged strings become TIMESTAMPTZ, bridges get one identifier, rows a stable order."""
    return f"""
        SELECT situation_id, situation_version, record_id, record_version, record_type, situation_type,
               coalesce(isrs_code, alertc_location) AS bridge_id, isrs_code, alertc_location, name, lon, lat,
               CAST(start_time AS TIMESTAMPTZ) AS start_time, CAST(end_time AS TIMESTAMPTZ) AS end_time,
               operator_action_status, probability_of_occurrence, source,
               CAST(record_version_time AS TIMESTAMPTZ) AS record_version_time,
               {publication_time} AS publication_time
        FROM read_parquet({quote_literal(stage)})
        ORDER BY situation_id, record_id"""  # noqa: S608 - the stage path is quoted, the time is a typed literal


def is_bridge_feed(types: dict[str, int]) -> bool:
    return bool(types) and set(types) == {"bridgeSwingInOperation"}
