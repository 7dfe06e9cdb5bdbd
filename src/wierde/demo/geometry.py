"""The demo's map: real or generated municipalities, with districts and neighbourhoods subdivided inside them.

Helpers keep every generated point inside the municipality it belongs to.
"""

from __future__ import annotations

import functools
import json
import math
import os
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyproj
import shapely
from shapely.geometry import MultiPoint, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from wierde.demo.base import Text, rng
from wierde.demo.neighbourhoods import BEDRIJVEN, VERSPREID, WIJKEN, BuurtSpec, WijkSpec
from wierde.demo.places import GEMEENTE_NAMES, GEMEENTEN, PROVINCE_OUTLINE

BOUNDARIES_FILE = Path("data/regions/cbs_gemeente_2025_gegeneraliseerd_wgs84_rounded.geojson")
XY = tuple[float, float]
# Offsets (metres, in RD) for neighbourhoods named after a compass point of their town.
_COMPASS = {"Noord": (0, 900), "Zuid": (0, -900), "Oost": (900, 0), "West": (-900, 0), "Centrum": (0, 0)}


def find_boundaries() -> Path | None:
    """Locate the real CBS municipality file: $WIERDE_SHARED, then ../shared from here and from the repository."""
    candidates = []
    if env := os.environ.get("WIERDE_SHARED"):
        candidates.append(Path(env) / BOUNDARIES_FILE)
    candidates.append(Path.cwd().parent / "shared" / BOUNDARIES_FILE)
    for folder in Path(__file__).resolve().parents:
        if (folder / "pyproject.toml").is_file():
            candidates.append(folder.parent / "shared" / BOUNDARIES_FILE)
            break
    return next((c for c in candidates if c.is_file()), None)


@functools.cache
def _transformer(source: int, target: int) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def to_rd(geom: BaseGeometry) -> BaseGeometry:
    """WGS84 lon/lat → Dutch RD New (EPSG:28992), where distances are metres."""
    t = _transformer(4326, 28992)
    return shapely.transform(geom, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))


def to_wgs(geom: BaseGeometry) -> BaseGeometry:
    """RD New → WGS84 lon/lat."""
    t = _transformer(28992, 4326)
    return shapely.transform(geom, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))


def rd_xy(lon: float, lat: float) -> XY:
    x, y = _transformer(4326, 28992).transform(lon, lat)
    return float(x), float(y)


def wgs_xy(x: float, y: float) -> XY:
    lon, lat = _transformer(28992, 4326).transform(x, y)
    return float(lon), float(lat)


@dataclass(frozen=True)
class Area:
    """A municipality, district or neighbourhood with its geometry in RD (for maths) and WGS84 (for output)."""

    code: str
    name: str
    gemeente: str
    parent: str | None
    profile: str
    anchor: XY  # RD point the area grew from (its village or town centre)
    rd: BaseGeometry
    wgs: BaseGeometry


@dataclass(frozen=True)
class Province:
    """The generated map every dataset draws on; `source` says whether municipalities are real or generated."""

    gemeenten: tuple[Area, ...]
    wijken: tuple[Area, ...]
    buurten: tuple[Area, ...]
    source: str  # "cbs" or "generated"
    _inner: dict[tuple[str, float], BaseGeometry] = field(default_factory=dict, compare=False, repr=False)

    def gemeente(self, code: str) -> Area:
        return next(g for g in self.gemeenten if g.code == code)

    @functools.cached_property
    def outline_rd(self) -> BaseGeometry:
        return shapely.union_all([g.rd for g in self.gemeenten])

    def locate(self, lon: float, lat: float) -> str | None:
        """The municipality containing a WGS84 point, if any."""
        p = Point(lon, lat)
        return next((g.code for g in self.gemeenten if g.wgs.contains(p)), None)

    def nearest(self, lon: float, lat: float) -> str:
        """The municipality closest to a point (for points that fell in the sea or across the border)."""
        p = Point(rd_xy(lon, lat))
        return min(self.gemeenten, key=lambda g: g.rd.distance(p)).code

    def place(self, code: str, lon: float, lat: float, margin: float = 150.0, digits: int = 5) -> XY:
        """Move a point at least `margin` metres inside municipality `code` and round it; verified in WGS84."""
        area = self.gemeente(code)
        for m in (margin, margin * 3, margin * 10):
            x, y = snap_inside(self._inner_of(area, m), rd_xy(lon, lat))
            lon2, lat2 = wgs_xy(x, y)
            rounded = (round(lon2, digits), round(lat2, digits))
            if area.wgs.contains(Point(rounded)):
                return rounded
        raise ValueError(f"cannot place a point inside {code}")

    def _inner_of(self, area: Area, margin: float) -> BaseGeometry:
        key = (area.code, margin)
        if key not in self._inner:
            inner = area.rd.buffer(-margin)
            self._inner[key] = inner if not inner.is_empty else area.rd
        return self._inner[key]

    def geometry_note(self) -> Text:
        """One sentence for metadata saying which municipal boundaries the demo used."""
        if self.source == "cbs":
            return Text(
                "Gemeentegrenzen: CBS Gebiedsindelingen 2025, gemeenten gegeneraliseerd (CBS/Kadaster via PDOK, "
                "CC BY 4.0); wijk- en buurtgrenzen zijn daarbinnen gegenereerd.",
                "Municipal boundaries: CBS Gebiedsindelingen 2025, generalised municipalities (CBS/Kadaster via PDOK, "
                "CC BY 4.0); district and neighbourhood boundaries are generated inside them.",
            )
        return Text(
            "Alle grenzen zijn gegenereerd rond de echte kernen binnen een grove omtrek van de provincie; "
            "het echte CBS-bestand met gemeentegrenzen was niet beschikbaar.",
            "All boundaries are generated around the real towns inside a coarse outline of the province; "
            "the real CBS municipal boundary file was not available.",
        )


def snap_inside(region: BaseGeometry, xy: XY) -> XY:
    """The point itself if it lies in `region`, otherwise the nearest point of `region`."""
    p = Point(xy)
    if region.contains(p):
        return xy
    q = nearest_points(region, p)[0]
    # nudge 1 m further in: the nearest point sits on the boundary, where `contains` is false
    c = region.representative_point()
    d = max(q.distance(c), 1e-9)
    return q.x + (c.x - q.x) / d, q.y + (c.y - q.y) / d


def build_province(boundaries: Path | None) -> Province:
    """Municipalities from the CBS file when given, else generated; then districts and neighbourhoods inside."""
    municipal = _real_municipalities(boundaries) if boundaries else _generated_municipalities()
    gemeenten, wijken, buurten = [], [], []
    for code, name in GEMEENTEN:
        gm_rd = municipal[code]
        anchor = rd_xy(*WIJKEN[code][0].anchor)
        gemeenten.append(Area(code, name, code, "PV20", "gemeente", anchor, gm_rd, _wgs(gm_rd)))
        for wijk, buurt_list in _subdivide(code, gm_rd):
            wijken.append(wijk)
            buurten.extend(buurt_list)
    if boundaries:
        # keep the published polygons exactly as CBS drew them (no round trip through RD)
        real = _real_wgs(boundaries)
        gemeenten = [replace(g, wgs=real[g.code]) for g in gemeenten]
    for g in gemeenten:
        shapely.prepare(g.wgs)
    return Province(tuple(gemeenten), tuple(wijken), tuple(buurten), "cbs" if boundaries else "generated")


def _wgs(rd: BaseGeometry) -> BaseGeometry:
    """WGS84 on a 1e-5 degree grid (about a metre); snapping RD to centimetres first drops the near-duplicate
    vertices Voronoi clipping leaves, which would otherwise turn into self-intersections."""
    wgs = to_wgs(shapely.set_precision(rd, 0.01))
    return shapely.set_precision(wgs if wgs.is_valid else shapely.make_valid(wgs), 1e-5)


def _real_wgs(path: Path) -> dict[str, BaseGeometry]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    found = {
        f["properties"]["statcode"]: shapely.make_valid(shape(f["geometry"]))
        for f in doc["features"]
        if f["properties"].get("statcode") in GEMEENTE_NAMES
    }
    missing = sorted(set(GEMEENTE_NAMES) - set(found))
    if missing:
        raise ValueError(f"{path} lacks the municipalities {', '.join(missing)}")
    return found


def _real_municipalities(path: Path) -> dict[str, BaseGeometry]:
    return {code: to_rd(geom) for code, geom in _real_wgs(path).items()}


def _generated_municipalities() -> dict[str, BaseGeometry]:
    """Voronoi cells around every known town and village, merged per municipality and cut to the outline."""
    outline = to_rd(Polygon(PROVINCE_OUTLINE))
    seeds: dict[XY, str] = {}
    for code, wijken in WIJKEN.items():
        for wijk in wijken:
            points = [wijk.anchor, *(b.at for b in wijk.buurten if b.at is not None)]
            for lon, lat in points:
                seeds.setdefault(rd_xy(lon, lat), code)
    cells = voronoi(list(seeds), outline)
    merged: dict[str, list[BaseGeometry]] = {}
    for cell, code in zip(cells, seeds.values(), strict=True):
        merged.setdefault(code, []).append(cell)
    return {code: _largest_parts(shapely.union_all(parts)) for code, parts in merged.items()}


def _largest_parts(geom: BaseGeometry) -> BaseGeometry:
    """Drop slivers a Voronoi merge can leave behind (tiny detached bits of a municipality)."""
    parts = list(getattr(geom, "geoms", [geom]))
    keep = [p for p in parts if p.area > 0.02 * max(q.area for q in parts)]
    return shapely.union_all(keep)


def voronoi(seeds: list[XY], within: BaseGeometry) -> list[BaseGeometry]:
    """One cell per seed (in seed order), clipped to `within`."""
    if len(seeds) == 1:
        return [within]
    frame = within.envelope.buffer(10_000)
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=frame, ordered=True)
    return [shapely.intersection(cell, within) for cell in cells.geoms]


def _subdivide(code: str, gm_rd: BaseGeometry) -> list[tuple[Area, list[Area]]]:
    specs = WIJKEN[code]
    inner = gm_rd.buffer(-400)
    anchors = _spread([snap_inside(inner, rd_xy(*w.anchor)) for w in specs], code, inner)
    result = []
    for i, (spec, anchor, cell) in enumerate(zip(specs, anchors, voronoi(anchors, gm_rd), strict=True)):
        wk_code = f"WK{code[2:]}{i:02d}"
        wijk = Area(wk_code, spec.name, code, code, "wijk", anchor, cell, _wgs(cell))
        result.append((wijk, _neighbourhoods(spec, wijk)))
    return result


def _neighbourhoods(spec: WijkSpec, wijk: Area) -> list[Area]:
    r = rng("buurten", wijk.code)
    seeds: list[XY | None] = [None] * len(spec.buurten)
    inner = wijk.rd.buffer(-60)
    inner = inner if not inner.is_empty else wijk.rd
    for j, b in enumerate(spec.buurten):
        if b.profile != VERSPREID:
            seeds[j] = snap_inside(inner, _buurt_seed(b, wijk.anchor, r))
    for j, b in enumerate(spec.buurten):
        if b.profile == VERSPREID:
            seeds[j] = _far_point(inner, [s for s in seeds if s is not None], r)
    placed = _spread([s for s in seeds if s is not None], wijk.code, inner)
    areas = []
    for j, (b, seed, cell) in enumerate(zip(spec.buurten, placed, voronoi(placed, wijk.rd), strict=True)):
        bu_code = f"BU{wijk.code[2:]}{j:02d}"
        areas.append(Area(bu_code, b.name, wijk.gemeente, wijk.code, b.profile, seed, cell, _wgs(cell)))
    return areas


def _buurt_seed(b: BuurtSpec, anchor: XY, r: random.Random) -> XY:
    if b.at is not None:
        return rd_xy(*b.at)
    suffix = b.name.rsplit("-", 1)[-1]
    if suffix in _COMPASS:
        dx, dy = _COMPASS[suffix]
        return anchor[0] + dx, anchor[1] + dy
    spread = 1500.0 if b.profile == BEDRIJVEN else 600.0
    return anchor[0] + r.gauss(0, spread), anchor[1] + r.gauss(0, spread)


def _far_point(region: BaseGeometry, taken: list[XY], r: random.Random) -> XY:
    """The candidate furthest from every settlement: where a district's scattered farms are."""
    minx, miny, maxx, maxy = region.bounds
    best, best_d = region.representative_point().coords[0], -1.0
    for _ in range(40):
        p = (r.uniform(minx, maxx), r.uniform(miny, maxy))
        if not region.contains(Point(p)):
            continue
        d = min((math.dist(p, t) for t in taken), default=0.0)
        if d > best_d:
            best, best_d = p, d
    return best[0], best[1]


def _spread(points: list[XY], key: str, region: BaseGeometry) -> list[XY]:
    """Nudge points that landed on top of each other (a Voronoi diagram needs distinct seeds), staying in `region`."""
    r = rng("spread", key)
    out: list[XY] = []
    for p in points:
        while any(math.dist(p, q) < 50 for q in out):
            p = snap_inside(region, (p[0] + r.uniform(-120, 120), p[1] + r.uniform(-120, 120)))
        out.append(p)
    return out
