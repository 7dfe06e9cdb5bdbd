"""The region hierarchy (BU → WK → GM → PV) with its geometry, built from boundary files or DuckDB relations."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import shapely
from shapely.geometry.base import BaseGeometry

from wierde.errors import InvalidInput, NotFound
from wierde.regions.codes import (
    LEVEL_NAMES,
    LEVELS,
    PROVINCES,
    Level,
    RegionCodeError,
    level_of,
    parent_by_code,
    parent_level,
    validate_code,
)
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.duck import connect

# Column names CBS and PDOK files use, lower-cased; the first one a file has is taken.
CODE_COLUMNS = ("code", "statcode", "regiocode")
NAME_COLUMNS = ("naam", "name", "statnaam", "regionaam")
PARENT_COLUMNS: dict[Level, tuple[str, ...]] = {
    "PV": ("provincie_code", "pv_code", "provinciecode"),
    "GM": ("gemeente_code", "gm_code", "gemeentecode"),
    "WK": ("wijk_code", "wk_code", "wijkcode"),
}
YEAR_COLUMNS = ("jaar", "year")
JRSTATCODE = "jrstatcode"  # PDOK's "2025GM0014": the boundary year glued to the code
BUNDLE_FILES: dict[Level, str] = {"PV": "provincies", "GM": "gemeenten", "WK": "wijken", "BU": "buurten"}
# Both mean lon/lat with x first; DuckDB still refuses to mix them in one predicate, so one is relabelled as the other.
LONLAT = frozenset({"EPSG:4326", "OGC:CRS84"})


@dataclass(frozen=True)
class Region:
    """One CBS region: its code, name, level, the code of the region it lies in, and its boundary year."""

    code: str
    name: str
    level: Level
    parent: str | None
    year: int | None
    geometry: BaseGeometry | None = field(default=None, compare=False, repr=False)


def same_crs(a: str | None, b: str | None) -> bool:
    return a == b or (a in LONLAT and b in LONLAT)


class RegionSet:
    """Regions of one or more levels in one CRS, with lookups up and down the hierarchy."""

    def __init__(self, regions: Iterable[Region], crs: str | None) -> None:
        self.crs = crs
        self.token = uuid.uuid4().hex[:12]  # names this set's table in DuckDB (see `to_duckdb`)
        self._by_code: dict[str, Region] = {}
        self._children: dict[str, list[str]] = {}
        for region in regions:
            self._add(region)
        for region in self._by_code.values():
            if region.parent is not None:
                self._children.setdefault(region.parent, []).append(region.code)

    def _add(self, region: Region) -> None:
        if level_of(region.code) != region.level:
            raise RegionCodeError(f"{region.code!r} is given as level {region.level}", code=region.code)
        if region.code in self._by_code:
            raise InvalidInput(f"region {region.code} ({region.name}) appears twice", code=region.code)
        expected = parent_level(region.level)
        if region.parent is not None and level_of(region.parent) != expected:
            lies_in = f"a {LEVEL_NAMES[expected]}" if expected else "no other region"
            raise RegionCodeError(
                f"{region.code} ({region.name}) names {region.parent} as the region it lies in; a "
                f"{LEVEL_NAMES[region.level]} lies in {lies_in}",
                code=region.code,
            )
        self._by_code[region.code] = region

    # -- lookups -------------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip().upper() in self._by_code

    def get(self, code: str) -> Region:
        valid = validate_code(code)
        try:
            return self._by_code[valid]
        except KeyError:
            raise NotFound(f"region {valid} is not in this region set", code=valid) from None

    def level(self, level: Level) -> tuple[Region, ...]:
        """Every region of one level, in code order."""
        return tuple(sorted((r for r in self if r.level == level), key=lambda r: r.code))

    def levels(self) -> tuple[Level, ...]:
        present = {r.level for r in self}
        return tuple(level for level in LEVELS if level in present)

    def parent(self, code: str) -> Region | None:
        """The region `code` lies in, when that region is in the set."""
        parent = self.get(code).parent
        return self._by_code.get(parent) if parent else None

    def children(self, code: str) -> tuple[Region, ...]:
        """The regions one level down that lie in `code`, in code order."""
        region = self.get(code)
        return tuple(self._by_code[c] for c in sorted(self._children.get(region.code, ())))

    def ancestors(self, code: str) -> tuple[Region, ...]:
        """The regions `code` lies in, nearest first (a neighbourhood: its district, municipality, province)."""
        found = []
        parent = self.parent(code)
        while parent is not None:
            found.append(parent)
            parent = self._by_code.get(parent.parent) if parent.parent else None
        return tuple(found)

    def descendants(self, code: str, level: Level | None = None) -> tuple[Region, ...]:
        """Every region below `code` (or only those of `level`), in code order."""
        found: list[Region] = []
        todo = list(self.children(code))
        while todo:
            region = todo.pop()
            found.append(region)
            todo.extend(self.children(region.code))
        return tuple(sorted((r for r in found if level is None or r.level == level), key=lambda r: r.code))

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted({r.year for r in self if r.year is not None}))

    @property
    def year(self) -> int | None:
        """The boundary year when all regions share one."""
        years = self.years
        return years[0] if len(years) == 1 else None

    def to_duckdb(self, con: duckdb.DuckDBPyConnection) -> str:
        """A temporary table (code, name, level, parent, year, geom) of this set on `con`, made on first use."""
        table = f"wierde_regions_{self.token}"
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary", [table]
        ).fetchone()
        if exists and exists[0]:
            return table
        rows = list(self)
        view = f"{table}_arrow"
        con.register(view, pa.table({
            "code": [r.code for r in rows], "name": [r.name for r in rows], "level": [r.level for r in rows],
            "parent": [r.parent for r in rows], "year": pa.array([r.year for r in rows], pa.int32()),
            "wkb": pa.array([shapely.to_wkb(r.geometry) if r.geometry is not None else None for r in rows],
                            pa.binary()),
        }))
        geometry = f"ST_SetCRS(ST_GeomFromWKB(wkb), {quote_literal(self.crs)})" if self.crs else "NULL::GEOMETRY"
        try:
            con.execute(
                f"CREATE TEMP TABLE {quote_ident(table)} AS SELECT code, name, level, parent, year, "  # noqa: S608
                f"{geometry} AS geom FROM {quote_ident(view)}"
            )
        finally:
            con.unregister(view)
        return table

    # -- building ------------------------------------------------------------------------------------------------

    @classmethod
    def from_relation(
        cls,
        con: duckdb.DuckDBPyConnection,
        relation: str | duckdb.DuckDBPyRelation,
        *,
        year: int | None = None,
        province: str | None = None,
    ) -> RegionSet:
        """Regions from a query or relation with a code column (any mix of levels), a name and optionally parents."""
        return cls.from_relations(con, [relation], year=year, province=province)

    @classmethod
    def from_relations(
        cls,
        con: duckdb.DuckDBPyConnection,
        relations: Sequence[str | duckdb.DuckDBPyRelation],
        *,
        year: int | None = None,
        province: str | None = None,
    ) -> RegionSet:
        """One set from several relations (one per level, say); geometry is brought to the first one's CRS."""
        regions: list[Region] = []
        crs: str | None = None
        for relation in relations:
            sql = relation if isinstance(relation, str) else relation.sql_query()
            found, found_crs = _read(con, sql, year=year, province=province, target_crs=crs)
            crs = crs or found_crs
            regions.extend(found)
        return cls(_with_provinces(regions), crs)

    @classmethod
    def from_files(
        cls,
        paths: Iterable[Path],
        *,
        con: duckdb.DuckDBPyConnection | None = None,
        year: int | None = None,
        province: str | None = None,
    ) -> RegionSet:
        """Regions from GeoJSON, GeoPackage or GeoParquet files (one per level, or mixed)."""
        sqls = [_read_sql(Path(p)) for p in paths]
        if con is not None:
            return cls.from_relations(con, sqls, year=year, province=province)
        own = connect(extensions=("spatial",))  # the set keeps its shapes in Python; the connection can go
        try:
            return cls.from_relations(own, sqls, year=year, province=province)
        finally:
            own.close()

    @classmethod
    def from_bundle(
        cls, folder: Path, *, con: duckdb.DuckDBPyConnection | None = None, year: int | None = None
    ) -> RegionSet:
        """The region files of a demo bundle (gemeenten, wijken, buurten; provincies if there is one)."""
        paths = []
        for level in LEVELS:
            stem = BUNDLE_FILES[level]
            path = next((folder / f"{stem}{s}" for s in (".parquet", ".geojson") if (folder / f"{stem}{s}").is_file()),
                        None)
            if path is not None:
                paths.append(path)
        if not paths:
            raise NotFound(f"{folder} holds none of {', '.join(BUNDLE_FILES.values())} (.geojson or .parquet)")
        return cls.from_files(paths, con=con, year=year)


def _read_sql(path: Path) -> str:
    if not path.is_file():
        raise NotFound(f"no region file {path}")
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        return f"SELECT * FROM read_parquet({quote_literal(str(path))})"  # noqa: S608 - quoted literal
    return f"SELECT * FROM ST_Read({quote_literal(str(path))})"  # noqa: S608 - quoted literal


def _pick(columns: dict[str, str], names: Sequence[str]) -> str | None:
    return next((columns[n] for n in names if n in columns), None)


def _geometry_column(names: Sequence[str], types: Sequence[str]) -> tuple[str | None, str | None]:
    for name, kind in zip(names, types, strict=True):
        if kind.upper().startswith("GEOMETRY"):
            crs = kind[len("GEOMETRY('") : -2] if kind.upper().startswith("GEOMETRY('") else None
            return name, crs
    return None, None


def _select_list(columns: dict[str, str], geometry: str | None, crs: str | None, target_crs: str | None) -> list[str]:
    code = _pick(columns, CODE_COLUMNS)
    if code is None:
        raise InvalidInput(f"no region code column: expected one of {', '.join(CODE_COLUMNS)}")
    name = _pick(columns, NAME_COLUMNS)
    parts = [f"CAST({quote_ident(code)} AS VARCHAR)", f"CAST({quote_ident(name)} AS VARCHAR)" if name else "NULL"]
    for level in ("PV", "GM", "WK"):
        column = _pick(columns, PARENT_COLUMNS[level])
        parts.append(f"CAST({quote_ident(column)} AS VARCHAR)" if column else "NULL")
    year = _pick(columns, YEAR_COLUMNS)
    jrstat = columns.get(JRSTATCODE)
    parts.append(
        f"TRY_CAST({quote_ident(year)} AS INTEGER)" if year
        else f"TRY_CAST(left(CAST({quote_ident(jrstat)} AS VARCHAR), 4) AS INTEGER)" if jrstat else "NULL"
    )
    if geometry is None:
        parts.append("NULL")
    elif target_crs is not None and not same_crs(crs, target_crs):
        parts.append(f"ST_AsWKB(ST_Transform({quote_ident(geometry)}, {quote_literal(target_crs)}, always_xy := true))")
    else:
        parts.append(f"ST_AsWKB({quote_ident(geometry)})")
    return parts


def _read(
    con: duckdb.DuckDBPyConnection, sql: str, *, year: int | None, province: str | None, target_crs: str | None
) -> tuple[list[Region], str | None]:
    relation = con.sql(sql)
    columns = {c.lower(): c for c in relation.columns}
    geometry, crs = _geometry_column(relation.columns, [str(t) for t in relation.types])
    if geometry is not None and crs is None:
        raise InvalidInput(f"geometry column {geometry!r} carries no CRS; set one with ST_SetCRS", column=geometry)
    select = ", ".join(_select_list(columns, geometry, crs, target_crs))
    rows = con.sql(f"SELECT {select} FROM ({sql})").fetchall()  # noqa: S608 - identifiers quoted
    regions = [_region(row, year=year, province=province) for row in rows]
    return regions, crs


def _region(row: tuple[object, ...], *, year: int | None, province: str | None) -> Region:
    raw_code, name, pv, gm, wk, row_year, wkb = row
    code = validate_code(raw_code)
    level = level_of(code)
    stated = {"BU": wk, "WK": gm, "GM": pv or province}.get(level)
    derived = parent_by_code(code)
    parent = validate_code(stated) if stated else derived
    if derived is not None and parent != derived:
        raise RegionCodeError(
            f"{code} names {parent} as the region it lies in, but its code puts it in {derived}", code=code
        )
    geometry = shapely.from_wkb(bytes(wkb)) if isinstance(wkb, bytes | bytearray | memoryview) else None
    return Region(code, str(name).strip() if name else code, level, parent, year or _int(row_year), geometry)


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int) else None


def _with_provinces(regions: list[Region]) -> list[Region]:
    """Add the provinces municipalities name but no file supplied, with the union of their municipalities' shapes."""
    have = {r.code for r in regions}
    missing: dict[str, list[Region]] = {}
    for region in regions:
        if region.level == "GM" and region.parent and region.parent not in have:
            missing.setdefault(region.parent, []).append(region)
    for code, members in sorted(missing.items()):
        shapes = [m.geometry for m in members]
        geometry = shapely.union_all(shapes) if all(s is not None for s in shapes) else None
        years = {m.year for m in members}
        year = years.pop() if len(years) == 1 else None
        regions.append(Region(code, PROVINCES.get(code, code), "PV", None, year, geometry))
    return regions
