"""Byte-stable writers for the demo's file formats (CSV, GeoJSON, XLSX, YAML): same input, same bytes."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

Feature = tuple[BaseGeometry, Mapping[str, Any]]
# A fixed moment for every timestamp a container format insists on (zip entries, document properties).
FIXED_MOMENT = datetime(2025, 1, 15, 9, 0, 0)


def nl_decimal(value: float, digits: int) -> str:
    """A number the way Dutch spreadsheets export it: decimal comma, no thousands separator."""
    return f"{value:.{digits}f}".replace(".", ",")


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    crlf: bool = False,
) -> int:
    """Write a CSV and return its row count; values must already be formatted the way the file should show them."""
    count = 0
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            count += 1
    return count


def _rounded(coords: Any, digits: int) -> Any:
    if isinstance(coords, int | float):
        return round(float(coords), digits)
    return [_rounded(c, digits) for c in coords]


def write_geojson(path: Path, features: Iterable[Feature], *, name: str, epsg: int = 4326, digits: int = 5) -> int:
    """Write a FeatureCollection, one feature per line; a non-WGS84 file carries the legacy `crs` member."""
    head: dict[str, Any] = {"type": "FeatureCollection", "name": name}
    if epsg != 4326:
        head["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}}
    lines = []
    for geom, props in features:
        g = mapping(geom)
        geometry = {"type": g["type"], "coordinates": _rounded(g["coordinates"], digits)}
        feature = {"type": "Feature", "properties": dict(props), "geometry": geometry}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    opening = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    path.write_text(opening + ',"features":[\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8")
    return len(lines)


def write_xlsx(path: Path, sheets: Sequence[tuple[str, Sequence[Sequence[object]]]]) -> None:
    """Write a workbook whose bytes do not depend on the clock (openpyxl stamps both the zip and core.xml)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(list(row))
    wb.properties.creator = "Provincie Groningen"
    wb.properties.created = FIXED_MOMENT
    wb.properties.modified = FIXED_MOMENT
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    path.write_bytes(_restamp_zip(buffer.getvalue()))


def _restamp_zip(data: bytes) -> bytes:
    """Copy a zip with every entry dated FIXED_MOMENT, in the original order."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            stamped = zipfile.ZipInfo(info.filename, date_time=FIXED_MOMENT.timetuple()[:6])
            stamped.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(stamped, src.read(info.filename))
    return out.getvalue()


def write_yaml(path: Path, document: Mapping[str, Any]) -> None:
    """Write metadata YAML in the given key order, keeping non-ASCII letters readable."""
    text = yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=110, default_flow_style=False)
    path.write_text(text, encoding="utf-8")
