"""A map's view: the box and zoom asked for, widened to whole tiles, and a screen pixel's size in a CRS."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from wierde.publish import ogc_crs
from wierde.publish.ogc_crs import CRS84
from wierde.publish.row_model import QueryError

TILE_PX = 256
MAX_ZOOM = 24
METRES_PER_PX_Z0 = 156543.03392804097  # Web Mercator (Leaflet's map) at zoom 0 on the equator


@dataclass(frozen=True)
class View:
    """A box in CRS84, widened to whole tiles (nearby views share one answer), at a whole zoom level."""

    west: float
    south: float
    east: float
    north: float
    zoom: int

    @property
    def bbox(self) -> list[float]:
        return [self.west, self.south, self.east, self.north]

    @property
    def degrees_per_px(self) -> float:
        return 360.0 / (TILE_PX * 2**self.zoom)

    @property
    def decimals(self) -> int:
        """Digits after the point that still tell two pixels apart (and not many more: they cost bytes)."""
        return min(max(math.ceil(-math.log10(self.degrees_per_px)) + 1, 3), 8)

    def pixel(self, crs: str) -> tuple[float, float]:
        return pixel_size(crs, self.zoom, (self.south + self.north) / 2)


def pixel_size(crs: str, zoom: int, latitude: float) -> tuple[float, float]:
    """A screen pixel's width and height in the units of `crs`: degrees when geographic, metres otherwise."""
    shrink = math.cos(math.radians(min(max(latitude, -85.0), 85.0)))
    if ogc_crs.is_geographic(crs):
        degrees = 360.0 / (TILE_PX * 2**zoom)
        return degrees, degrees * shrink
    side = METRES_PER_PX_Z0 * shrink / 2**zoom
    return side, side


def view_of(bbox: str | None, zoom: float | None, extent: Sequence[float] | None) -> View | None:
    """The view asked for (`bbox` in CRS84, else the data's extent); None when there is nothing to show."""
    if bbox is not None:
        box = ogc_crs.parse_bbox(bbox, CRS84)
        corners = (box.west, box.south, box.east, box.north)
    elif extent:
        corners = (extent[0], extent[1], extent[2], extent[3])
    else:
        return None
    # Leaflet zooms in quarter steps; the whole level below is at most 1.7 times coarser, still under a pixel.
    return _snapped(corners, _fitting_zoom(corners) if zoom is None else whole_zoom(zoom))


def whole_zoom(zoom: float) -> int:
    """The whole zoom level of a zoom asked for, which must lie between 0 and MAX_ZOOM."""
    if not (math.isfinite(zoom) and 0 <= zoom <= MAX_ZOOM):
        raise QueryError("zoom", f"must be a number from 0 to {MAX_ZOOM}")
    return int(zoom)


def _fitting_zoom(corners: tuple[float, float, float, float]) -> int:
    """The zoom at which the box is about 1,000 pixels wide, as a map on a page shows it."""
    width = max(abs(corners[2] - corners[0]), 1e-9)
    return min(max(int(math.log2(360 * 1024 / (TILE_PX * width))), 0), MAX_ZOOM)


def _snapped(corners: tuple[float, float, float, float], zoom: int) -> View:
    step = 360.0 / 2**zoom  # a tile's width in degrees of longitude

    def down(value: float, low: float) -> float:
        return max(math.floor(value / step) * step, low)

    def up(value: float, high: float) -> float:
        return min(math.ceil(value / step) * step, high)

    west, south, east, north = corners
    return View(down(west, -180.0), down(south, -90.0), up(east, 180.0), up(north, 90.0), zoom)
