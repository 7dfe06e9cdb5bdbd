"""RD New ↔ WGS 84 behind one small contract, so the exact RDNAPTRANS™2018 can replace PROJ's Helmert by name.

PROJ without NSGI's grids (all that PyPI and Debian ship) moves RD coordinates to WGS 84 with a Helmert
transformation that is off by up to a few decimetres (docs/geodata.md has the measured figures). Where that matters,
an implementation of RDNAPTRANS™2018 plugs in under the name `rdnaptrans2018`: the `pyrdnap` package when it is
installed, or any package that registers a factory in the entry point group `wierde.transformers`.
Maps use `projector`: drawing on a screen does not need better than decimetres, but it needs speed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Protocol

import numpy as np
import pyproj

from wierde.errors import InvalidInput

RD_NEW = "EPSG:28992"
WGS84 = "EPSG:4326"  # handed over in x/y order: longitude first, as GeoJSON and CRS84 want
ENTRY_POINT_GROUP = "wierde.transformers"
PYPROJ = "pyproj"
RDNAPTRANS = "rdnaptrans2018"
Coordinates = tuple[np.ndarray, np.ndarray]


class RdTransformer(Protocol):
    """Moves coordinates between RD New (x, y in metres) and WGS 84 (longitude, latitude in degrees)."""

    name: str
    accuracy_m: float  # the largest horizontal error measured against NSGI's validation points

    def to_wgs84(self, x: Any, y: Any) -> Coordinates: ...

    def to_rd(self, lon: Any, lat: Any) -> Coordinates: ...


class PyprojRd:
    """PROJ's best operation without grids: 'Amersfoort to WGS 84 (4)', a Helmert shift (decimetres)."""

    name = PYPROJ
    accuracy_m = 0.25  # measured: median 0.03 m, 95 % within 0.17 m, worst 0.24 m (docs/geodata.md)

    def to_wgs84(self, x: Any, y: Any) -> Coordinates:
        lon, lat = projector(RD_NEW, WGS84).transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon), np.asarray(lat)

    def to_rd(self, lon: Any, lat: Any) -> Coordinates:
        x, y = projector(WGS84, RD_NEW).transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x), np.asarray(y)


class RdnapTrans2018:
    """RDNAPTRANS™2018 variant 1 from the `pyrdnap` package (pure Python, about 80 µs a point).

    It gives ETRS89, which Dutch practice (and EPSG's null transformation) takes as WGS 84 within a metre.
    Heights are taken as NAP 0 m; the horizontal result hardly depends on them.
    """

    name = RDNAPTRANS
    accuracy_m = 0.001  # the procedure's own tolerance, met on all 7,959 validation points inside the RD region

    def __init__(self) -> None:
        from pyrdnap import RDNAP2018v1  # optional: only present when an operator installed it

        # Variant 2 of pyrdnap 26.8.18 misses the validation points by up to 160 m; variant 1 passes them all.
        self._rdnap = RDNAP2018v1()

    def to_wgs84(self, x: Any, y: Any) -> Coordinates:
        done = [self._rdnap.reverse(float(a), float(b), 0.0) for a, b in zip(np.ravel(x), np.ravel(y), strict=True)]
        return np.array([p.lon for p in done], float), np.array([p.lat for p in done], float)

    def to_rd(self, lon: Any, lat: Any) -> Coordinates:
        done = [self._rdnap.forward(float(b), float(a), 0.0) for a, b in zip(np.ravel(lon), np.ravel(lat),
                                                                            strict=True)]
        return np.array([p.RDx for p in done], float), np.array([p.RDy for p in done], float)


_REGISTRY: dict[str, Callable[[], RdTransformer]] = {PYPROJ: PyprojRd, RDNAPTRANS: RdnapTrans2018}
_made: dict[str, RdTransformer] = {}
_lock = threading.Lock()


def register_transformer(name: str, factory: Callable[[], RdTransformer]) -> None:
    """Add (or replace) an implementation; the factory may raise ImportError when its package is missing."""
    with _lock:
        _REGISTRY[name] = factory
        _made.pop(name, None)


def transformer(name: str | None = None) -> RdTransformer:
    """The transformer called `name`; without a name the most accurate one available (RDNAPTRANS, else pyproj)."""
    if name is None:
        return transformer(RDNAPTRANS) if RDNAPTRANS in available() else transformer(PYPROJ)
    with _lock:
        if name in _made:
            return _made[name]
        factory = _REGISTRY.get(name) or _from_entry_point(name)
    if factory is None:
        raise InvalidInput(f"unknown RD transformer {name!r}; known: {', '.join(known())}")
    try:
        made = factory()
    except ImportError as exc:
        raise InvalidInput(f"RD transformer {name!r} is not installed here ({exc})") from None
    with _lock:
        return _made.setdefault(name, made)


def available() -> list[str]:
    """The names whose implementation can be made here (RDNAPTRANS only when its package is installed)."""
    found = []
    for name in known():
        try:
            transformer(name)
        except InvalidInput:
            continue
        found.append(name)
    return found


def known() -> list[str]:
    return sorted({*_REGISTRY, *(p.name for p in entry_points(group=ENTRY_POINT_GROUP))})


def _from_entry_point(name: str) -> Callable[[], RdTransformer] | None:
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name == name:
            factory: Callable[[], RdTransformer] = point.load()
            _REGISTRY[name] = factory
            return factory
    return None


_local = threading.local()


def projector(source: str, target: str) -> pyproj.Transformer:
    """A PROJ transformer in x/y (east, north) order, made once per thread: making one costs about 25 ms, and
    PROJ objects are best not shared between threads. For drawing and filtering, where decimetres do not matter."""
    cache: dict[tuple[str, str], pyproj.Transformer] = _local.__dict__.setdefault("projectors", {})
    key = (source, target)
    if key not in cache:
        cache[key] = pyproj.Transformer.from_crs(source, target, always_xy=True)
    return cache[key]
