"""Download formats: which one a client gets (?format= or Accept), and the bytes of a query result in it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from wierde.errors import Unacceptable
from wierde.publish import export_files, export_stream
from wierde.publish.export_select import describe
from wierde.publish.export_stream import Chunks


@dataclass(frozen=True)
class ExportFormat:
    name: str
    media_type: str
    extension: str
    geo_only: bool = False


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("json", "application/json", "json"),
        ExportFormat("csv", "text/csv", "csv"),
        ExportFormat("geojson", "application/geo+json", "geojson", geo_only=True),
        ExportFormat("gpkg", "application/geopackage+sqlite3", "gpkg", geo_only=True),
        ExportFormat("parquet", "application/vnd.apache.parquet", "parquet"),
        ExportFormat("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    )
}


class FormatError(Unacceptable):
    """No offered format fits: 406 for an Accept header, 400 for a bad ?format= value. `allowed` lists choices."""

    def __init__(self, detail: str, allowed: Sequence[str], *, parameter: str | None = None) -> None:
        super().__init__(detail, allowed=list(allowed))
        self.allowed = list(allowed)
        if parameter is not None:
            self.status = 400
            self.title = "Invalid input"


def allowed_formats(*, has_geometry: bool) -> list[ExportFormat]:
    return [f for f in FORMATS.values() if has_geometry or not f.geo_only]


def negotiate(
    accept: str | None, format_param: str | None, *, has_geometry: bool, default: str = "json"
) -> ExportFormat:
    """The format to answer with: ?format= wins over Accept; GeoJSON and GeoPackage only for data with geometry."""
    offered = allowed_formats(has_geometry=has_geometry)
    names = [f.name for f in offered]
    if format_param is not None:
        return _by_name(format_param, offered, names)
    preferred = FORMATS[default] if default in names else offered[0]
    if not accept or not accept.strip():
        return preferred
    for media_range in media_ranges(accept):
        chosen = _match(media_range, preferred, offered)
        if chosen is not None:
            return chosen
    raise FormatError(
        "none of the accepted media types can be served; available: "
        + ", ".join(f"{f.media_type} ({f.name})" for f in offered),
        names,
    )


def export(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: list[Any],
    fmt: ExportFormat,
    *,
    geometry_columns: Sequence[str],
    workdir: Path,
) -> Chunks:
    """The result of `sql` (from rows.query_sql(..., for_export=True)) as `fmt`, in chunks.

    The columns are described right away, so a broken query fails on this call; the data is read lazily. File
    formats (Parquet, GeoPackage, XLSX) are complete before their first chunk, so their errors (such as
    export_files.TooManyRows) come from the first next(), before anything was sent. `con` must not run other
    queries while the iterator is in use; give each download its own `con.cursor()`.
    """
    columns = describe(con, sql, params, geometry_columns)
    if fmt.name == "json":
        return export_stream.json_rows(con, sql, params, columns)
    if fmt.name == "geojson":
        return export_stream.geojson(con, sql, params, columns, geometry_columns)
    if fmt.name == "csv":
        return export_stream.csv_rows(con, sql, params, columns)
    if fmt.name == "parquet":
        return export_files.parquet(con, sql, params, workdir)
    if fmt.name == "gpkg":
        return export_files.geopackage(con, sql, params, columns, geometry_columns, workdir)
    if fmt.name == "xlsx":
        return export_files.xlsx(con, sql, params, columns, workdir)
    raise FormatError(f"unknown format {fmt.name!r}", list(FORMATS), parameter="format")


def _by_name(text: str, offered: Sequence[ExportFormat], names: Sequence[str]) -> ExportFormat:
    name = text.strip().lower()
    for f in offered:
        if f.name == name:
            return f
    reason = "needs data with geometry" if name in FORMATS else "is not a known format"
    raise FormatError(f"format {text!r} {reason}; use one of: {', '.join(names)}", names, parameter="format")


def media_ranges(accept: str) -> list[str]:
    """The media ranges with q > 0, most wanted first (stable for equal q, as the client listed them)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, *options = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for option in options:
            key, _, value = option.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            ranked.append((-quality, position, media.lower()))
    return [media for _, _, media in sorted(ranked)]


def _match(media_range: str, preferred: ExportFormat, offered: Sequence[ExportFormat]) -> ExportFormat | None:
    if media_range == "*/*":
        return preferred
    kind, _, subtype = media_range.partition("/")
    candidates = [preferred, *offered]
    if subtype == "*":
        return next((f for f in candidates if f.media_type.startswith(kind + "/")), None)
    return next((f for f in candidates if f.media_type == media_range), None)
