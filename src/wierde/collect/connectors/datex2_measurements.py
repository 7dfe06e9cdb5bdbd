"""DATEX II measured data (NDW's trafficspeed feed) as one row per measurement site and measured value index.

Flow and speed are separate typed columns rather than a kind/value pair, so each keeps its unit and a sum or mean
needs no filter first: `vehicle_flow_rate` in vehicles per hour (DOUBLE) on TrafficFlow rows, `average_speed` in
km/h (DOUBLE) on TrafficSpeed rows; `measurement_type` says which. NDW writes speed -1 when there were no
vehicles and flags failed detectors with `dataError`; both become NULL values (with `data_error` true for the
latter), so an average over the column is never pulled down by sentinels. The v2.3 `measuredValue/measuredValue`
and the v3 `physicalQuantity/physicalQuantity` wrappers are read alike; the index is the wrapper's `@index`.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

import pyarrow as pa

from wierde.collect.connectors import datex2_sites
from wierde.collect.connectors.datex2_stream import XSI_TYPE, integer, local, number, qualified, version
from wierde.sqltext import quote_literal

RECORD = "siteMeasurements"
PUBLICATION = "MeasuredDataPublication"
HOLDERS = frozenset({"measuredValue", "physicalQuantity"})  # v2.3, v3: the element that carries @index
VALUES = frozenset({"vehicleFlow", "averageVehicleSpeed"})  # where the input counts and deviation are attributes

STAGE = pa.schema([
    ("site_id", pa.string()), ("site_version", pa.int64()), ("value_index", pa.int32()),
    ("measurement_time", pa.string()), ("measurement_type", pa.string()),
    ("vehicle_flow_rate", pa.float64()), ("average_speed", pa.float64()),
    ("number_of_input_values", pa.int32()), ("number_of_incomplete_inputs", pa.int32()),
    ("standard_deviation", pa.float64()), ("supplier_data_quality", pa.float64()), ("data_error", pa.bool_()),
])
Row = tuple[object, ...]


# the local names the row builders look at, by their tag in every namespace (see `qualified`)
SITE = "measurementSiteReference"
TIME = "measurementTimeDefault"
TAGS = qualified({SITE, TIME, "timeValue", *HOLDERS, "basicData", *VALUES, "vehicleFlowRate", "speed", "dataError"})


def rows(measurements: Element, prefix: str | None) -> list[Row]:
    """The rows of one siteMeasurements; none when its site id does not start with `prefix`."""
    site = site_version = time = None
    holders: list[Element] = []
    for child in measurements:
        name = TAGS.get(child.tag)
        if name == SITE:
            site, site_version = child.get("id"), child.get("version")
        elif name == TIME:
            time = _time(child)
        elif name in HOLDERS:
            holders.append(child)
    if site is None:
        raise ValueError("a siteMeasurements without measurementSiteReference/@id")
    if prefix and not site.startswith(prefix):
        return []
    head = (site, version(site_version))
    return [(*head, index, time, *values) for holder in holders for index, values in _values(holder)]


def _time(default: Element) -> str | None:
    """v2.3 writes the time as the element's text; v3 wraps it as timeValue (beside timeMeaning)."""
    if default.text and default.text.strip():
        return default.text.strip()
    for child in default:
        if TAGS.get(child.tag) == "timeValue" and child.text:
            return child.text.strip()
    return None


def _values(holder: Element) -> list[tuple[int, Row]]:
    """One entry per basicData below an indexed holder (a v3 MultiplePhysicalQuantity may carry several)."""
    index = integer(holder.get("index"))
    if index is None:
        raise ValueError(f"a {local(holder.tag)} without @index")
    found: list[tuple[int, Row]] = []
    current: list[object] | None = None
    for node in holder.iter():  # document order: a basicData comes before everything inside it
        name = TAGS.get(node.tag)
        if name is None:
            continue
        if name == "basicData":
            if current is not None:
                found.append((index, _finish(current)))
            kind = node.get(XSI_TYPE)
            current = [kind.rpartition(":")[2] if kind else None, None, None, None, None, None, None, False]
        elif current is None:
            continue
        elif name in VALUES:
            current[3] = integer(node.get("numberOfInputValuesUsed"))
            current[4] = integer(node.get("numberOfIncompleteInputs"))
            current[5] = number(node.get("standardDeviation"))
            current[6] = number(node.get("supplierCalculatedDataQuality"))
        elif name == "vehicleFlowRate":
            current[1] = number(node.text)
        elif name == "speed":
            current[2] = number(node.text)
        elif name == "dataError":
            current[7] = (node.text or "").strip() == "true"
    if current is not None:
        found.append((index, _finish(current)))
    return found


def _finish(values: list[object]) -> Row:
    speed = values[2]
    if values[7]:  # a failed detector's 0 or -1 is not a measurement
        values[1] = values[2] = None
    elif isinstance(speed, float) and speed < 0:  # NDW's "no vehicles, no speed"
        values[2] = None
    return tuple(values)


def select_sql(stage: str, publication_time: str, sites: list[str] | None) -> str:
    """The final table, with the site table's columns when `sites` (staged site tables, later ones win) is given."""
    joined = ", " + ", ".join(f"s.{c}" for c in datex2_sites.JOINED) if sites else ""
    join = f"LEFT JOIN ({datex2_sites.latest_sql(sites)}) s USING (site_id, value_index)" if sites else ""
    return f"""
        SELECT site_id, m.site_version, value_index, CAST(m.measurement_time AS TIMESTAMPTZ) AS measurement_time,
               m.measurement_type, m.vehicle_flow_rate, m.average_speed, m.number_of_input_values,
               m.number_of_incomplete_inputs, m.standard_deviation, m.supplier_data_quality, m.data_error,
               {publication_time} AS publication_time{joined}
        FROM read_parquet({quote_literal(stage)}) m {join}
        ORDER BY site_id, value_index, measurement_time"""  # noqa: S608 - paths are quoted, the time is a literal
