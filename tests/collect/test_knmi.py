"""Prove that the knmi connector turns KNMI's earthquake catalogue (its CSV, FDSN text and QuakeML forms) into one
tidy table with a real UTC timestamp, and refuses a catalogue it cannot read completely.

The fixtures beside this file were written by hand in KNMI's documented formats (knmi_fixtures/README.md says how);
a real HTTP server on 127.0.0.1 serves them to the real Fetcher.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.helpers.replay import Reply, Served, misbehaving_server
from wierde import hookspecs
from wierde.catalog.model import DatasetMetadata
from wierde.collect.connectors.knmi import KnmiEarthquakes
from wierde.collect.harvest import Source, harvest
from wierde.collect.http import Fetcher, HarvestError
from wierde.errors import InvalidInput
from wierde.store.repository import Store

FIXTURES = Path(__file__).parent / "knmi_fixtures"
CSV = "all_induced_excerpt.csv"


@pytest.fixture
def server() -> Iterator[Served]:
    bodies: dict[str, bytes] = {}

    def behave(path: str) -> Reply | None:
        name = path.split("?")[0].lstrip("/")
        if name in bodies:
            return Reply(body=bodies[name], content_type="text/plain")
        file = FIXTURES / name
        return Reply(body=file.read_bytes(), content_type="text/plain") if file.is_file() else None

    with misbehaving_server(behave) as served:
        served.bodies = bodies  # type: ignore[attr-defined]
        yield served


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(timeout=5, retries=1, backoff=0.01, deadline_seconds=30) as client:
        yield client


def rows(con: duckdb.DuckDBPyConnection, path: Path,
         sql: str = "SELECT * EXCLUDE (geom), ST_AsText(geom) AS wkt FROM t") -> list[dict[str, Any]]:
    """The table's rows, read with the module's connection (`con` in conftest: loading spatial takes a while)."""
    con.execute(f"CREATE OR REPLACE VIEW t AS SELECT * FROM read_parquet('{path}')")
    relation = con.sql(sql)
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def test_the_csv_becomes_a_dataset_with_a_timestamp_point_and_knmi_as_publisher(server, store: Store) -> None:
    source = Source(id="aardbevingen-knmi", connector="knmi", url=f"{server.base}/{CSV}", dataset="aardbevingen")
    record = harvest(store, source, fetcher=lambda _: Fetcher(timeout=5, retries=0))

    assert (record.outcome, record.stats["rows"]) == ("new-version", 6)
    fields = {f["name"]: f["type"] for f in store.version("aardbevingen").fields}
    assert (fields["time_utc"], fields["date"], fields["magnitude"], fields["geom"]) == (
        "datetime", "date", "number", "geometry")
    meta = DatasetMetadata.from_mapping(store.dataset("aardbevingen").meta)
    assert meta.publisher.name == "Koninklijk Nederlands Meteorologisch Instituut (KNMI)"
    assert (meta.licence, meta.attribution) == ("CC-BY-4.0", "Bron: KNMI")
    assert (str(meta.temporal.start), str(meta.temporal.end)) == ("1986-12-26", "2024-01-01")
    again = harvest(store, source, fetcher=lambda _: Fetcher(timeout=5, retries=0))
    assert again.outcome == "unchanged"


def test_csv_rows_are_typed_and_sorted_by_time(server, fetcher, tmp_path, con) -> None:
    result = KnmiEarthquakes().harvest(fetcher, f"{server.base}/{CSV}", {}, tmp_path)
    table = rows(con, result.data)
    assert [r["place"] for r in table][:3] == ["Assen", "Westeremden", "Huizinge"]
    huizinge = table[2]
    assert huizinge == {
        "event_id": None, "time_utc": datetime(2012, 8, 16, 18, 30, 33, 400000), "date": date(2012, 8, 16),
        "place": "Huizinge", "lat": 53.345, "lon": 6.672, "x_rd": 240567.0, "y_rd": 596163.0, "magnitude": 3.6,
        "magnitude_type": None, "depth_km": 3.0, "evaluation_mode": "manual", "event_type": None,
        "wkt": "POINT (6.672 53.345)"}
    assert table[-1]["place"] == "Siddeburen, Midden-Groningen", "a quoted place with a comma stays whole"
    assert table[-1]["evaluation_mode"] == "automatic"


def test_the_older_csv_layout_reads_with_hhmmss_times_and_rd_computed(server, fetcher, tmp_path, con) -> None:
    result = KnmiEarthquakes().harvest(fetcher, f"{server.base}/all_induced_old_format.csv", {}, tmp_path)
    table = rows(con, result.data)
    tjuchem = next(r for r in table if r["place"] == "Tjuchem")
    assert tjuchem["time_utc"] == datetime(2018, 4, 19, 9, 33, 7, 590000), "a dropped leading zero is restored"
    assert (tjuchem["magnitude"], tjuchem["depth_km"]) == (0.5, 3.0)
    assert tjuchem["x_rd"] == pytest.approx(253788, abs=1) and tjuchem["y_rd"] == pytest.approx(588179, abs=1)


@pytest.mark.parametrize("name", ["fdsn_event.txt", "fdsn_event.quakeml.xml"])
def test_fdsn_text_and_quakeml_give_the_same_events_as_the_csv(server, fetcher, tmp_path, con, name) -> None:
    result = KnmiEarthquakes().harvest(fetcher, f"{server.base}/{name}?eventtype=induced", {}, tmp_path)
    table = rows(con, result.data)
    huizinge = table[0]
    assert (huizinge["event_id"], huizinge["time_utc"], huizinge["magnitude_type"]) == (
        "knmi2012qhzg", datetime(2012, 8, 16, 18, 30, 33, 400000), "ML")
    assert (huizinge["lat"], huizinge["lon"], huizinge["depth_km"]) == (53.345, 6.672, 3.0), (
        "QuakeML: the preferred origin, depth in metres → km")
    assert huizinge["event_type"] == "induced or triggered event"
    assert huizinge["x_rd"] == pytest.approx(240567, abs=1)
    assert result.remote_id == f"knmi:{server.base}/{name}"


def test_params_keep_a_region_recent_events_and_a_minimum_magnitude(server, fetcher, tmp_path, con) -> None:
    params = {"bbox": "6.6,53.3,6.8,53.4", "since": "2010-01-01", "min_magnitude": "3.5"}
    result = KnmiEarthquakes().harvest(fetcher, f"{server.base}/{CSV}", params, tmp_path)
    assert [r["place"] for r in rows(con, result.data)] == ["Huizinge"]
    with pytest.raises(HarvestError, match="no earthquakes in the catalogue"):
        KnmiEarthquakes().harvest(fetcher, f"{server.base}/{CSV}", {"min_magnitude": "9"}, tmp_path)


@pytest.mark.parametrize(("params", "message"), [
    ({"magnitude": "2"}, r"unknown params \['magnitude'\]"),
    ({"bbox": "6.8,53.4,6.6,53.3"}, "bbox is minlon,minlat,maxlon,maxlat"),
    ({"since": "gisteren"}, "since is YYYY-MM-DD"),
    ({"format": "kml"}, "format must be one of csv, text, quakeml"),
])
def test_bad_params_are_refused_before_anything_is_fetched(server, fetcher, tmp_path, params, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        KnmiEarthquakes().harvest(fetcher, f"{server.base}/{CSV}", params, tmp_path)
    assert server.hits == []


def test_a_catalogue_with_a_broken_line_is_refused_naming_the_line(server, fetcher, tmp_path) -> None:
    text = (FIXTURES / CSV).read_text().splitlines()
    text[3] = text[3].replace("53.345", "53,345")  # a decimal comma splits the field
    text[5] = text[5].replace("01:48:58.00", "25:48:58.00")
    server.bodies["broken.csv"] = "\n".join(text).encode()
    with pytest.raises(HarvestError, match=r"2 events do not read, so none are kept: line 4: 11 fields where the "
                                           r"header has 10; line 6: time '25:48:58.00' is not a time of day"):
        KnmiEarthquakes().harvest(fetcher, f"{server.base}/broken.csv", {}, tmp_path)
    assert not list(tmp_path.glob("*.parquet"))


@pytest.mark.parametrize(("body", "message"), [
    (b"<html><body>Service tijdelijk niet beschikbaar</body></html>", "not a QuakeML document"),
    (b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY x SYSTEM "file:///etc/passwd">]><q:quakeml>&x;</q:quakeml>',
     "refused: the XML declares a DTD"),
    (b"<q:quakeml xmlns:q='x'><eventParameters>", "not well-formed XML"),
    (b"datum;tijd;plaats\n2024-01-01;03:12;Siddeburen\n", "not KNMI's earthquake CSV"),
    (b"knmi1|2024-01-01T00:00:00|53.2|6.8\n", r"no #EventID\|Time\|Latitude"),
])
def test_answers_that_are_not_a_catalogue_are_refused(server, fetcher, tmp_path, body, message) -> None:
    server.bodies["odd"] = body
    kind = {b"<": None, b"d": None, b"k": "text"}[body[:1]]
    with pytest.raises(HarvestError, match=message):
        KnmiEarthquakes().harvest(fetcher, f"{server.base}/odd", {"format": kind} if kind else {}, tmp_path)


def test_rd_given_in_kilometres_is_read_as_metres(server, fetcher, tmp_path, con) -> None:
    server.bodies["km.csv"] = (b"YYMMDD,TIME,LOCATION,LAT,LON,X_RD,Y_RD,MAG,DEPTH,EVALUATION_MODE\n"
                               b"20120816,18:30:33.40,Huizinge,53.345,6.672,240.567,596.163,3.6,3.0,manual\n")
    result = KnmiEarthquakes().harvest(fetcher, f"{server.base}/km.csv", {}, tmp_path)
    assert rows(con, result.data, "SELECT x_rd, y_rd FROM t") == [{"x_rd": 240567.0, "y_rd": 596163.0}]


def test_the_connector_is_registered_by_name() -> None:
    assert isinstance(hookspecs.connector("knmi"), KnmiEarthquakes)
