"""DATEX II measurement site tables (NDW's measurement_current) as one row per site and characteristic index.

A site row carries the site's name, road, WGS84 `lon`/`lat` and direction, and per `value_index` what is
measured there: the value type (trafficFlow, trafficSpeed), the lane, the period in seconds and the vehicle class
(`vehicle_type` such as anyVehicle, or a length class: `vehicle_length_min`/`_max` in metres and a label such as
`>=5.6 <=12.2`). v2.3 calls a site `measurementSiteRecord`, v3 `measurementSite`; both are read alike. `road` is
the record's roadNumber where it has one, else the road at the start of NDW's site name ("N457 hmp 4.75 Re").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element

import pyarrow as pa

from wierde.collect.connectors.datex2_stream import first_text, local, number, text, version
from wierde.sqltext import quote_literal

RECORDS = ("measurementSiteRecord", "measurementSite")
PUBLICATION = "MeasurementSiteTablePublication"
ROAD = re.compile(r"^([ANS]\d{1,3}[a-z]?)\b")
OPERATORS = {"lessThan": "<", "lessThanOrEqualTo": "<=", "greaterThan": ">", "greaterThanOrEqualTo": ">=",
             "equalTo": "="}
SITE_FIELDS = frozenset({"measurementSiteName", "roadNumber", "measurementSide", "measurementEquipmentTypeUsed",
                         "locationForDisplay", "coordinatesForDisplay", "pointCoordinates"})
DISPLAY = ("locationForDisplay", "coordinatesForDisplay", "pointCoordinates")

STAGE = pa.schema([
    ("site_id", pa.string()), ("site_version", pa.int64()), ("value_index", pa.int32()),
    ("site_name", pa.string()), ("road", pa.string()), ("lon", pa.float64()), ("lat", pa.float64()),
    ("measurement_side", pa.string()), ("equipment", pa.string()), ("value_type", pa.string()),
    ("lane", pa.string()), ("period_s", pa.float64()), ("vehicle_type", pa.string()),
    ("vehicle_length_min", pa.float64()), ("vehicle_length_max", pa.float64()),
    ("vehicle_length_class", pa.string()),
])
JOINED = [f.name for f in STAGE if f.name not in ("site_id", "site_version", "value_index")]


def rows(site: Element, prefix: str | None) -> Iterator[tuple[object, ...]]:
    """One row per indexed characteristic; a site without any still gets one row, so it is not lost."""
    site_id = site.get("id")
    if site_id is None:
        raise ValueError(f"a {local(site.tag)} without an id")
    if prefix and not site_id.startswith(prefix):
        return
    head = (site_id, version(site.get("version")))
    common = _site_fields(site)
    characteristics = [c for c in site if local(c.tag) == "measurementSpecificCharacteristics" and c.get("index")]
    if not characteristics:
        yield (*head, None, *common, *(None,) * 7)
    for holder in characteristics:
        yield (*head, int(holder.get("index", "")), *common, *_characteristic(holder))


def _site_fields(site: Element) -> tuple[object, ...]:
    found: dict[str, Element] = {}
    for node in site.iter():
        tag = local(node.tag)
        if tag in SITE_FIELDS and tag not in found:
            found[tag] = node
    name = first_text(found.get("measurementSiteName"))
    road = first_text(found.get("roadNumber"))
    if road is None and name:
        match = ROAD.match(name)
        road = match.group(1) if match else None
    lon = lat = None
    for holder in DISPLAY:
        if holder in found:
            coordinates = {local(c.tag): text(c) for c in found[holder]}
            lon, lat = number(coordinates.get("longitude")), number(coordinates.get("latitude"))
            break
    return (name, road, lon, lat, text(found.get("measurementSide")),
            first_text(found.get("measurementEquipmentTypeUsed")))


def _characteristic(holder: Element) -> tuple[object, ...]:
    value_type = lane = period = vehicle_type = None
    bounds: list[tuple[str, float]] = []
    for node in holder.iter():
        name = local(node.tag)
        if name == "specificMeasurementValueType":
            value_type = text(node)
        elif name == "specificLane":
            lane = first_text(node)
        elif name == "period":
            period = number(text(node))
        elif name == "vehicleType":
            vehicle_type = text(node)
        elif name == "lengthCharacteristic":
            bound = _bound(node)
            if bound:
                bounds.append(bound)
    low = [length for op, length in bounds if op.startswith(">") or op == "="]
    high = [length for op, length in bounds if op.startswith("<") or op == "="]
    label = " ".join(f"{op}{length:g}" for op, length in bounds) or None
    return (value_type, lane, period, vehicle_type, max(low) if low else None, min(high) if high else None, label)


def _bound(node: Element) -> tuple[str, float] | None:
    parts = {local(c.tag): text(c) for c in node}
    operator, length = OPERATORS.get(parts.get("comparisonOperator") or ""), number(parts.get("vehicleLength"))
    return (operator, length) if operator and length is not None else None


def latest_sql(stages: list[str]) -> str:
    """One row per (site, index) over several staged tables: the highest site version, then the later table."""
    union = " UNION ALL ".join(f"SELECT *, {i} AS _table FROM read_parquet({quote_literal(p)})"  # noqa: S608
                               for i, p in enumerate(stages))
    return (f"SELECT * EXCLUDE (_table) FROM ({union}) QUALIFY row_number() OVER ("  # noqa: S608
            "PARTITION BY site_id, value_index ORDER BY site_version DESC NULLS LAST, _table DESC) = 1")


def select_sql(stage: str, publication_time: str) -> str:
    """A site table harvested on its own."""
    return f"""
        SELECT site_id, site_version, value_index, {", ".join(JOINED)}, {publication_time} AS publication_time
        FROM ({latest_sql([stage])})
        ORDER BY site_id, value_index"""  # noqa: S608 - the stage path is quoted, the time is a typed literal
