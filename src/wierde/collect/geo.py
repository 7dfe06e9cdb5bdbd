"""Geodata files (GeoJSON, GeoPackage, zipped Shapefile) to GeoParquet through DuckDB spatial, keeping their CRS."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb

from wierde.collect.files import (
    FileFormatError,
    Loaded,
    OptionsError,
    ReadOptions,
    apply_overrides,
    check_names,
    detect_format,
    duck_error,
    extent_crs,
    override_types,
    sql_id,
    sql_str,
    write_parquet,
)

GEOMETRY = "geometry"
# GDAL's GeoPackage driver prefetches Arrow batches in a helper thread; with DuckDB spatial 1.5.5 that corrupts
# geometries now and then ("Unsupported geometry type in WKB", or a segfault) even on a fresh connection: 1 read
# in ~100 of the BAG sample. GDAL's plain implementation has no such thread. GDAL reads this from the
# environment on every call, so setting it before a read is enough.
GDAL_ID = "OGC_FID"  # GDAL's own feature counter, added to formats without an id column; not the steward's data


@dataclass(frozen=True)
class Layer:
    name: str
    features: int
    crs: str | None  # AUTHORITY:CODE as the file declares it


def gdal_path(source: Path, kind: str, layer: str | None) -> tuple[str, str | None]:
    """What GDAL opens: the file itself, or the .shp inside a zip through /vsizip/ (that shapefile is the layer)."""
    if kind != "shapefile" or source.suffix.lower() == ".shp":
        return str(source.resolve()), layer
    try:
        with zipfile.ZipFile(source) as archive:
            members = sorted(n for n in archive.namelist() if n.lower().endswith(".shp"))
            archive.testzip()
    except zipfile.BadZipFile as exc:
        raise FileFormatError(f"{source.name}: not a readable zip archive ({exc})") from exc
    if not members:
        raise FileFormatError(f"{source.name}: the zip archive holds no .shp file")
    stems = {PurePosixPath(m).stem: m for m in members}
    if layer is not None and layer not in stems:
        raise OptionsError(f"{source.name}: no shapefile {layer!r} in the archive; it holds {sorted(stems)}")
    member = stems[layer] if layer is not None else members[0]
    return f"/vsizip/{source.resolve()}/{member}", None


def read_layers(con: duckdb.DuckDBPyConnection, path: str, source: Path) -> list[Layer]:
    try:
        row = con.execute(f"SELECT layers FROM ST_Read_Meta({sql_str(path)})").fetchone()  # noqa: S608
    except duckdb.Error as exc:
        raise duck_error(source, exc) from exc
    layers = []
    for layer in (row[0] if row else None) or []:
        fields = layer.get("geometry_fields") or [{}]
        crs = fields[0].get("crs") or {}
        code = f"{crs['auth_name']}:{crs['auth_code']}" if crs.get("auth_name") and crs.get("auth_code") else None
        layers.append(Layer(layer["name"], int(layer.get("feature_count") or 0), code))
    if not layers:
        raise FileFormatError(f"{source.name}: GDAL finds no layer in this file")
    return layers


def choose(layers: list[Layer], wanted: str | None, source: Path) -> Layer:
    """The named layer, else the first one (the dialect lists the others, so the steward can see and choose)."""
    if wanted is None:
        return layers[0]
    for layer in layers:
        if layer.name == wanted:
            return layer
    raise OptionsError(f"{source.name}: no layer {wanted!r}; it has {[layer.name for layer in layers]}")


def type_crs(kind: str) -> str | None:
    match = re.fullmatch(r"GEOMETRY\('(.+)'\)", kind)
    return match.group(1) if match else None


def geometry_select(con: duckdb.DuckDBPyConnection, read_sql: str, layer: Layer, source: Path) -> tuple[str, str, str]:
    """The layer with GDAL's id dropped, the (first) geometry column named `geometry` and its CRS set explicitly.

    A GEOMETRY without a CRS silently means lon/lat to later readers, so the CRS is always written: the one the
    file declares, else the one DuckDB carries, else one told from the coordinates (RD New or lon/lat).
    """
    relation = con.sql(read_sql)
    kinds = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    geometries = [name for name, kind in kinds.items() if kind.upper().startswith("GEOMETRY")]
    if not geometries:
        raise FileFormatError(f"{source.name}: layer {layer.name!r} has no geometry column")
    first = geometries[0]
    crs, found_in = layer.crs or type_crs(kinds[first]), "file"
    if crs is None:
        crs = extent_crs(con, f"SELECT {sql_id(first)} FROM ({read_sql})", f"{source.name}, layer {layer.name!r}")  # noqa: S608
        found_in = "coordinates"
    outputs = []
    for name in relation.columns:
        if name == GDAL_ID:
            continue
        if name == first:
            outputs.append(f"ST_SetCRS({sql_id(name)}, {sql_str(crs)}) AS {GEOMETRY}")
        else:
            outputs.append(f"{sql_id(name)} AS {sql_id(name.strip())}")
    names = [GEOMETRY if n == first else n for n in relation.columns if n != GDAL_ID]
    check_names(names, f"{source.name}, layer {layer.name!r}")
    return f"SELECT {', '.join(outputs)} FROM ({read_sql})", crs, found_in  # noqa: S608


def read_geo(con: duckdb.DuckDBPyConnection, source: Path, out: Path, options: ReadOptions) -> Loaded:
    """GeoJSON, GeoPackage or a (zipped) Shapefile layer as GeoParquet with its CRS in the geometry type."""
    kind = options.format or detect_format(source)
    path, wanted = gdal_path(source, kind, options.layer)
    layers = read_layers(con, path, source)
    layer = choose(layers, wanted, source)
    read_sql = f"SELECT * FROM ST_Read({sql_str(path)}, layer={sql_str(layer.name)})"  # noqa: S608
    try:
        select_sql, crs, found_in = geometry_select(con, read_sql, layer, source)
        names = con.sql(select_sql).columns
        types = override_types(options.types, names, source.name)
        attributes = {name: kind for name, kind in types.items() if name != GEOMETRY}
        overridden = apply_overrides(con, select_sql, attributes, unit="feature")
        rows = write_parquet(con, overridden.select_sql, out)
    except duckdb.Error as exc:
        raise duck_error(source, exc) from exc
    dialect: dict[str, Any] = {
        "layer": layer.name, "layers": [item.name for item in layers], "crs": crs, "crs_source": found_in,
    }
    return Loaded(kind, rows, overridden.rejected, dialect)
