"""OGC API Features Part 2 (CRS by reference): CRS URIs, axis order, and the SQL that moves geometry between CRSs."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import pyproj

from wierde.publish.row_model import QueryError
from wierde.sqltext import geojson_crs84, quote_literal, to_crs84

CRS84 = "OGC:CRS84"
WGS84 = "EPSG:4326"
RD_NEW = "EPSG:28992"
OFFERED = (CRS84, WGS84, RD_NEW)  # every collection offers these, plus the CRS it is stored in
CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"
# The spellings clients send: the OGC URI (http or https), a safe CURIE [EPSG:28992], a URN, or plain EPSG:28992.
_URI = re.compile(r"^https?://www\.opengis\.net/def/crs/(?P<auth>EPSG|OGC)/[^/]+/(?P<code>[A-Za-z0-9]+)$")
_CODE = re.compile(r"^\[?(?P<auth>EPSG|OGC):(?P<code>[A-Za-z0-9]+)\]?$", re.IGNORECASE)
_URN = re.compile(r"^urn:ogc:def:crs:(?P<auth>EPSG|OGC):[^:]*:(?P<code>[A-Za-z0-9]+)$", re.IGNORECASE)
_TYPE = re.compile(r"^GEOMETRY(?:\('(?P<crs>(?:[^']|'')*)'\))?$")
_DENSIFY = 16  # points per edge when a box is moved to another CRS, so its curved edges are followed


def uri_of(code: str) -> str:
    """The OGC URI of an `AUTH:CODE` such as EPSG:28992 or OGC:CRS84."""
    auth, _, number = code.partition(":")
    if auth == "OGC":
        return f"http://www.opengis.net/def/crs/OGC/1.3/{number}"
    return _EPSG_URI + number


def code_of(text: str) -> str | None:
    """`AUTH:CODE` for a CRS as a client may write it, or None when it is no CRS reference we know how to read."""
    text = text.strip()
    for pattern in (_URI, _CODE, _URN):
        match = pattern.match(text)
        if match:
            auth, number = match.group("auth").upper(), match.group("code")
            return f"{auth}:{number.upper() if auth == 'OGC' else number}"
    return None


def storage_code(sql_type: str) -> str | None:
    """The CRS of a DuckDB GEOMETRY type as `AUTH:CODE`; a bare GEOMETRY is CRS84, as GeoParquet says.
    None when the type carries a CRS without an EPSG or OGC code (then it is not offered by name)."""
    match = _TYPE.match(sql_type)
    if match is None:
        return None
    text = (match.group("crs") or "").replace("''", "'")
    if not text:
        return CRS84
    return code_of(text) or _authority(text)


@cache
def _authority(definition: str) -> str | None:
    try:
        found = pyproj.CRS.from_user_input(definition).to_authority()
    except pyproj.exceptions.CRSError:
        return None
    return f"{found[0]}:{found[1]}" if found and found[0] in ("EPSG", "OGC") else None


@cache
def lat_first(code: str) -> bool:
    """Whether the CRS's authority puts northing (or latitude) first: EPSG:4326 does, CRS84 and RD New do not."""
    crs = _crs(code)
    return crs is not None and bool(crs.axis_info) and crs.axis_info[0].direction.lower() in ("north", "south")


@cache
def is_geographic(code: str) -> bool:
    crs = _crs(code)
    return crs is not None and crs.is_geographic


def _crs(code: str) -> pyproj.CRS | None:
    try:
        return pyproj.CRS.from_user_input(code)
    except pyproj.exceptions.CRSError:
        return None


def offered(storage: str | None) -> list[str]:
    return [*OFFERED, *([storage] if storage and storage not in OFFERED else [])]


def choose(parameter: str, text: str | None, allowed: Sequence[str]) -> str:
    """The CRS a `crs` or `bbox-crs` parameter names (CRS84 when absent); 400 when it is not one offered."""
    if text is None:
        return CRS84
    code = code_of(text)
    if code is None or code not in allowed:
        choices = ", ".join(uri_of(c) for c in allowed)
        raise QueryError(parameter, f"{text!r} is not a CRS this collection offers; use one of: {choices}")
    return code


def geojson_sql(expr: str, storage: str | None, target: str) -> str:
    """SQL for `expr` as GeoJSON text in `target`, with the coordinates in the axis order `target` defines."""
    if target == CRS84:
        return geojson_crs84(expr)  # the row API's own path
    if target == storage:
        moved = expr  # as stored: no transformation, no rounding
    elif target == WGS84:
        moved = to_crs84(expr)
    else:
        source = f"coalesce(ST_CRS({expr}), 'OGC:CRS84')"
        moved = f"ST_Transform({expr}, {source}, {quote_literal(target)}, always_xy := true)"
    # GeoParquet (and DuckDB) keep x/y (east, north) order; a lat/lon CRS such as EPSG:4326 wants them swapped.
    if lat_first(target):
        moved = f"ST_FlipCoordinates({moved})"
    return f"ST_AsGeoJSON({moved})"


@dataclass(frozen=True)
class Box:
    """A bbox as x/y (east, north) corners in `crs`, whatever axis order the client wrote it in."""

    west: float
    south: float
    east: float
    north: float
    crs: str

    def parts(self) -> list[Box]:
        """One box, or two when a geographic box crosses the antimeridian (west > east)."""
        if self.west <= self.east:
            return [self]
        return [Box(self.west, self.south, 180.0, self.north, self.crs),
                Box(-180.0, self.south, self.east, self.north, self.crs)]

    def wkt(self) -> str:
        """The box as a polygon with extra points on its edges, to stay close to it after reprojection."""
        steps = [i / _DENSIFY for i in range(_DENSIFY)]
        width, height = self.east - self.west, self.north - self.south
        ring = ([(self.west + width * t, self.south) for t in steps]  # along the south edge, eastwards
                + [(self.east, self.south + height * t) for t in steps]  # up the east edge
                + [(self.east - width * t, self.north) for t in steps]  # back along the north edge
                + [(self.west, self.north - height * t) for t in steps])  # down the west edge
        ring.append(ring[0])
        return "POLYGON ((" + ", ".join(f"{x!r} {y!r}" for x, y in ring) + "))"


def parse_bbox(text: str, crs: str) -> Box:
    """`minx,miny,maxx,maxy` (or 6 numbers with heights, which are ignored) in the axis order of `crs`."""
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        raise QueryError("bbox", f"{text!r} is not 4 (or 6) numbers separated by commas") from None
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise QueryError("bbox", f"{text!r} is not 4 (or 6) numbers separated by commas")
    low, high = (numbers[0:2], numbers[2:4]) if len(numbers) == 4 else (numbers[0:2], numbers[3:5])
    if lat_first(crs):
        low, high = low[::-1], high[::-1]
    box = Box(low[0], low[1], high[0], high[1], crs)
    if box.south > box.north or (box.west > box.east and not is_geographic(crs)):
        raise QueryError("bbox", "the lower corner must come before the upper corner")
    return box


def sql_code(code: str) -> str:
    """The CRS name for ST_Transform: WGS 84 goes as EPSG:4326 with always_xy, as `to_crs84` does."""
    return WGS84 if code == CRS84 else code


def bbox_condition(subject: str, box: Box, moved: Sequence[str | None]) -> tuple[str, list[Any]]:
    """SQL keeping rows whose geometry `subject` intersects the box. `moved` holds each part of the box as WKT
    in the subject's CRS when it had to be reprojected (see `moved_box_sql`), so no row pays for that."""
    conditions: list[str] = []
    params: list[Any] = []
    for part, wkt in zip(box.parts(), moved, strict=True):
        if wkt is not None:
            conditions.append(f"ST_Intersects({subject}, ST_GeomFromText(?))")
            params.append(wkt)
        else:
            conditions.append(f"ST_Intersects({subject}, ST_MakeEnvelope(?, ?, ?, ?))")
            params.extend([part.west, part.south, part.east, part.north])
    return "(" + " OR ".join(conditions) + ")", params


def needs_moving(box: Box, target: str) -> bool:
    return sql_code(box.crs) != sql_code(target)


def moved_box_sql(box: Box, target: str) -> tuple[str, list[Any]]:
    """One query giving each part of the box as WKT in `target` (run once, before the page query)."""
    selects = [f"ST_AsText(ST_Transform(ST_GeomFromText(?), {quote_literal(sql_code(box.crs))}, "
               f"{quote_literal(sql_code(target))}, always_xy := true))" for _ in box.parts()]
    return "SELECT " + ", ".join(selects), [part.wkt() for part in box.parts()]
