"""Prove that RD New ↔ WGS 84 gives the documented results with pyproj, that the exact RDNAPTRANS™2018 plugs in by
name when its package is installed, and that an unknown or missing transformer is a clear error."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from wierde.errors import InvalidInput
from wierde.regions import transform
from wierde.regions.transform import PYPROJ, RDNAPTRANS, PyprojRd, projector, register_transformer, transformer

# One of NSGI's self-validation points (Z001_ETRS89andRDNAP.txt, id 30010000): ETRS89 and its RD coordinates.
VALIDATION_POINT = {"lat": 51.728601274, "lon": 4.712120126, "x": 108360.8790, "y": 415757.2745}


def test_pyproj_puts_the_rd_origin_where_the_docs_say() -> None:
    lon, lat = transformer(PYPROJ).to_wgs84([155000.0], [463000.0])
    assert (round(float(lat[0]), 7), round(float(lon[0]), 7)) == (52.1551723, 5.3872035)


def test_pyproj_is_within_its_stated_accuracy_of_a_validation_point() -> None:
    rd = transformer(PYPROJ)
    x, y = rd.to_rd([VALIDATION_POINT["lon"]], [VALIDATION_POINT["lat"]])
    error = float(np.hypot(x[0] - VALIDATION_POINT["x"], y[0] - VALIDATION_POINT["y"]))
    assert 0.001 < error <= rd.accuracy_m, "decimetres, not millimetres: the reason RDNAPTRANS can plug in"


def test_a_round_trip_comes_back_to_the_millimetre() -> None:
    rd = transformer(PYPROJ)
    xs, ys = np.array([155000.0, 233500.0, 13000.0]), np.array([463000.0, 582000.0, 380000.0])
    back_x, back_y = rd.to_rd(*rd.to_wgs84(xs, ys))
    assert np.allclose(back_x, xs, atol=0.001) and np.allclose(back_y, ys, atol=0.001)


def test_the_default_is_the_most_accurate_one_available() -> None:
    assert PYPROJ in transform.available()
    expected = RDNAPTRANS if RDNAPTRANS in transform.available() else PYPROJ
    assert transformer().name == expected


def test_missing_and_unknown_transformers_are_clear_errors() -> None:
    with pytest.raises(InvalidInput, match="unknown RD transformer 'helmert-99'.*pyproj"):
        transformer("helmert-99")
    if RDNAPTRANS not in transform.available():
        with pytest.raises(InvalidInput, match="not installed"):
            transformer(RDNAPTRANS)


def test_an_implementation_plugs_in_by_name() -> None:
    class Shifted(PyprojRd):
        name = "test-shifted"
        accuracy_m = 1.0

        def to_wgs84(self, x: object, y: object) -> transform.Coordinates:
            lon, lat = super().to_wgs84(x, y)
            return lon + 1.0, lat

    register_transformer("test-shifted", Shifted)
    lon, _ = transformer("test-shifted").to_wgs84([155000.0], [463000.0])
    assert round(float(lon[0]), 4) == round(5.3872035 + 1.0, 4)
    assert "test-shifted" in transform.known()


def test_rdnaptrans_passes_a_published_validation_point_when_installed() -> None:
    pytest.importorskip("pyrdnap")
    rd = transformer(RDNAPTRANS)
    x, y = rd.to_rd([VALIDATION_POINT["lon"]], [VALIDATION_POINT["lat"]])
    assert abs(x[0] - VALIDATION_POINT["x"]) < 0.001 and abs(y[0] - VALIDATION_POINT["y"]) < 0.001
    lon, lat = rd.to_wgs84([155000.0], [463000.0])
    assert (round(float(lat[0]), 8), round(float(lon[0]), 8)) == (52.15517289, 5.38720365)


def test_projectors_are_made_once_per_thread() -> None:
    here = projector("EPSG:28992", "OGC:CRS84")
    assert projector("EPSG:28992", "OGC:CRS84") is here
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(projector("EPSG:28992", "OGC:CRS84")))
    thread.start()
    thread.join()
    assert other and other[0] is not here
