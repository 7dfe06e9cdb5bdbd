"""Prove that the ndw-datex2 connector turns NDW's DATEX II feeds (v2.3 recordings, v3 fixtures) into typed tables.

Every harvest goes through the real Fetcher to a real HTTP server on 127.0.0.1 that serves the recorded files, the
v3 fixtures beside this file, and broken documents made here (truncated gzip, malformed XML, XML bombs).
"""

from __future__ import annotations

import functools
import gzip
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import shared_dir
from wierde import hookspecs
from wierde.catalog.model import DatasetMetadata
from wierde.collect.connectors.ndw_datex2 import NdwDatex2
from wierde.collect.files import ReadOptions
from wierde.collect.http import Fetcher, HarvestError
from wierde.collect.ingest import ingest
from wierde.errors import InvalidInput
from wierde.store.duck import connect
from wierde.store.repository import Store

FIXTURES = Path(__file__).parent / "ndw_fixtures"
BRIDGES = "brugopeningen_datex2v23_2023-11-22.xml.gz"
SPEEDS = "trafficspeed_datex2v23_2025-08-15.xml.gz"
SITE_TABLE = "measurement_site_table_excerpt_datex2v23.xml"
SITE_RECORD = "measurement_site_record_excerpt_datex2v23.xml"
JOIN_SITE = "PZH01_MST_0629_00"  # the site of both site excerpts, also measured in the recorded feed

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<d2LogicalModel xmlns="http://datex2.eu/schema/2/2_0"><payloadPublication>&lol9;</payloadPublication></d2LogicalModel>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d2LogicalModel [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<d2LogicalModel xmlns="http://datex2.eu/schema/2/2_0"><payloadPublication>&secret;</payloadPublication></d2LogicalModel>
"""
EMPTY_V3 = b"""<mc:messageContainer xmlns:mc="http://datex2.eu/schema/3/messageContainer"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:com="http://datex2.eu/schema/3/common">
 <mc:payload xsi:type="roa:MeasuredDataPublication"><com:publicationTime>2024-10-01T19:00:00Z</com:publicationTime>
 </mc:payload></mc:messageContainer>"""
UNDECLARED_ENTITY = b'<d2LogicalModel xmlns="http://datex2.eu/schema/2/2_0">&secret;</d2LogicalModel>'
# a DTD after the root element has started (past defusedxml's prolog check) is not XML at all
LATE_DTD = b'<d2LogicalModel><!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>&secret;</d2LogicalModel>'


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        return None


def _cut_speed_feed(recorded: Path, site: str) -> bytes:
    """The recorded trafficspeed feed with only `site`'s siteMeasurements left: small, still real, still valid."""
    text = gzip.decompress(recorded.read_bytes()).decode("utf-8")
    first = text.index("<siteMeasurements")
    last = text.rindex("</siteMeasurements>") + len("</siteMeasurements>")
    at = text.index(f'<measurementSiteReference id="{site}"')
    block = text[text.rindex("<siteMeasurements", 0, at):text.index("</siteMeasurements>", at) + 19]
    return (text[:first] + block + text[last:]).encode("utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a server for the recorded feeds, the v3 fixtures and the broken documents."""
    shared = shared_dir()
    if shared is None:
        pytest.skip("../shared (the recorded NDW feeds) is not beside this checkout")
    recorded = shared / "data" / "ndw"
    folder = tmp_path_factory.mktemp("served")
    for path in [*recorded.iterdir(), *FIXTURES.iterdir()]:
        shutil.copy(path, folder / path.name)
    whole = (recorded / BRIDGES).read_bytes()
    (folder / "truncated.xml.gz").write_bytes(whole[: len(whole) // 2])
    xml = gzip.decompress(whole)
    broken = xml.replace(b"</situationRecord>", b"</situationRecrod>", 1)
    (folder / "malformed.xml.gz").write_bytes(gzip.compress(broken))
    (folder / "cut-off.xml").write_bytes(xml[: len(xml) // 2])
    (folder / "billion-laughs.xml").write_bytes(BILLION_LAUGHS)
    (folder / "billion-laughs.xml.gz").write_bytes(gzip.compress(BILLION_LAUGHS))
    (folder / "external-entity.xml").write_bytes(EXTERNAL_ENTITY)
    (folder / "undeclared-entity.xml").write_bytes(UNDECLARED_ENTITY)
    (folder / "late-dtd.xml").write_bytes(LATE_DTD)
    (folder / "not-datex.xml").write_bytes(b"<rss><channel><title>news</title></channel></rss>")
    (folder / "empty-v3.xml").write_bytes(EMPTY_V3)
    (folder / "speed-one-site.xml.gz").write_bytes(gzip.compress(_cut_speed_feed(recorded / SPEEDS, JOIN_SITE)))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(extensions=())
    yield connection
    connection.close()


def harvest(server: str, name: str, workdir: Path, max_bytes: int = 2**31, **params: str) -> hookspecs.Harvested:
    workdir.mkdir(exist_ok=True)
    with Fetcher(retries=0, timeout=10, max_bytes=max_bytes) as fetcher:
        return NdwDatex2().harvest(fetcher, f"{server}/{name}", params, workdir)


def rows(con: duckdb.DuckDBPyConnection, sql: str, data: Path) -> list[tuple[Any, ...]]:
    """Rows of `sql` over the harvested table `t`; timestamps come back as ISO text (no pytz needed)."""
    return con.sql(f"WITH t AS (SELECT * FROM read_parquet('{data}')) {sql}").fetchall()


def types(con: duckdb.DuckDBPyConnection, data: Path) -> dict[str, str]:
    return {name: kind for name, kind, *_ in con.sql(f"DESCRIBE SELECT * FROM read_parquet('{data}')").fetchall()}


@pytest.fixture(scope="module")
def bridges(server: str, tmp_path_factory: pytest.TempPathFactory) -> hookspecs.Harvested:
    return harvest(server, BRIDGES, tmp_path_factory.mktemp("bridges"))


@pytest.fixture(scope="module")
def groningen_speeds(server: str, tmp_path_factory: pytest.TempPathFactory) -> hookspecs.Harvested:
    return harvest(server, SPEEDS, tmp_path_factory.mktemp("speeds"), prefix="PGR")


def test_the_connector_is_registered_under_its_name() -> None:
    assert isinstance(hookspecs.connector("ndw-datex2"), NdwDatex2)


def test_every_bridge_situation_becomes_one_typed_row(bridges: hookspecs.Harvested, con: Any) -> None:
    assert bridges.format == "parquet" and bridges.stats["rows"] == 978 and bridges.stats["records"] == 978
    assert rows(con, "SELECT DISTINCT record_type, situation_type FROM t", bridges.data) == [
        ("GeneralNetworkManagement", "bridgeSwingInOperation")]
    assert rows(con, "SELECT count(DISTINCT situation_id), count(isrs_code), count(lon), count(end_time) FROM t",
                bridges.data) == [(978, 978, 978, 972)]
    statuses = {s for (s,) in rows(con, "SELECT DISTINCT operator_action_status FROM t", bridges.data)}
    assert statuses == {"approved", "beingImplemented", "implemented", "beingTerminated"}
    kinds = types(con, bridges.data)
    assert kinds["start_time"] == kinds["end_time"] == kinds["publication_time"] == "TIMESTAMP WITH TIME ZONE"
    assert kinds["situation_id"] == kinds["bridge_id"] == "VARCHAR"
    assert kinds["lon"] == kinds["lat"] == "DOUBLE" and kinds["record_version"] == "BIGINT"
    assert rows(con, "SELECT DISTINCT strftime(publication_time AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%g') FROM t",
                bridges.data) == [("2023-11-22T05:42:03.283",)]


def test_the_two_groningen_city_bridges_with_their_times_and_status(bridges: hookspecs.Harvested, con: Any) -> None:
    found = rows(con, """
        SELECT bridge_id, situation_id, strftime(start_time AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S'), end_time,
               operator_action_status, probability_of_occurrence, round(lon, 4), round(lat, 4), source
        FROM t WHERE bridge_id LIKE 'NLGRQ%' ORDER BY bridge_id""", bridges.data)
    assert found == [
        ("NLGRQ000130123300002", "NDW04_NLGRQ000130123300002_72738733", "2023-11-22 05:41:25", None,
         "implemented", "certain", 6.5971, 53.2196, "NDW04"),
        ("NLGRQ000600504200411", "NDW04_NLGRQ000600504200411_72738717", "2023-11-22 05:40:41", None,
         "implemented", "certain", 6.3998, 53.2552, "NDW04"),
    ]


def test_a_prefix_keeps_the_bridges_of_one_supplier_and_place(server: str, tmp_path: Path, con: Any) -> None:
    result = harvest(server, BRIDGES, tmp_path, prefix="NDW04_NLGRQ")
    assert rows(con, "SELECT bridge_id FROM t", result.data) == [("NLGRQ000130123300002",), ("NLGRQ000600504200411",)]
    assert result.stats["records"] == 978 and result.remote_id == f"ndw:{BRIDGES}?prefix=NDW04_NLGRQ"


def test_bridge_metadata_is_valid_dcat_and_names_ndw(bridges: hookspecs.Harvested) -> None:
    meta = DatasetMetadata.from_mapping(bridges.metadata)
    assert meta.title == {"nl": "Brugopeningen (NDW)", "en": "Bridge openings (NDW)"}
    assert meta.licence == "CC0-1.0" and meta.themes == ["TRAN"] and meta.source == "https://opendata.ndw.nu/"
    assert meta.attribution == "NDW (Nationaal Dataportaal Wegverkeer)" and "NDW" in meta.publisher.name
    assert meta.accrual_periodicity == "continuously_updated"
    assert bridges.remote_id == f"ndw:{BRIDGES}"


def test_the_file_ingester_reads_the_table_with_its_types(bridges: hookspecs.Harvested, store: Store) -> None:
    outcome = ingest(store, bridges.data, "brugopeningen", ReadOptions(format="parquet"), meta=bridges.metadata)
    assert outcome.version.row_count == 978
    fields = {f["name"]: f["type"] for f in outcome.version.fields}
    assert fields["start_time"] == "datetime" and fields["lat"] == "number" and fields["bridge_id"] == "string"


def test_groningen_traffic_speeds_are_kept_by_prefix(groningen_speeds: hookspecs.Harvested, con: Any) -> None:
    data = groningen_speeds.data
    assert groningen_speeds.stats["records"] == 19587  # every site was read, 117 kept
    assert rows(con, "SELECT count(DISTINCT site_id), count(*), bool_and(site_id LIKE 'PGR%') FROM t", data) == [
        (117, 2148, True)]
    assert {p for (p,) in rows(con, "SELECT DISTINCT split_part(site_id, '_', 1) FROM t", data)} == {
        "PGR06", "PGR08"}
    flows = rows(con, """SELECT count(vehicle_flow_rate), min(vehicle_flow_rate), max(vehicle_flow_rate),
                                count(average_speed) FROM t WHERE measurement_type = 'TrafficFlow'""", data)
    assert flows[0][0] > 1000 and flows[0][1] >= 0 and flows[0][2] <= 5000 and flows[0][3] == 0
    speeds = rows(con, """SELECT count(average_speed), min(average_speed), max(average_speed), avg(average_speed)
                          FROM t WHERE measurement_type = 'TrafficSpeed'""", data)
    count, low, high, mean = speeds[0]
    assert count > 100 and low > 0 and high <= 150 and 30 < mean < 100  # -1 sentinels are gone
    assert rows(con, """SELECT DISTINCT strftime(measurement_time AT TIME ZONE 'UTC', '%H:%M') FROM t
                        ORDER BY 1""", data) == [("21:48",)]
    kinds = types(con, data)
    assert kinds["measurement_time"] == "TIMESTAMP WITH TIME ZONE" and kinds["value_index"] == "INTEGER"
    assert kinds["vehicle_flow_rate"] == kinds["average_speed"] == "DOUBLE" and kinds["data_error"] == "BOOLEAN"
    assert groningen_speeds.remote_id == f"ndw:{SPEEDS}?prefix=PGR"
    assert DatasetMetadata.from_mapping(groningen_speeds.metadata).title["en"] == "Traffic speeds and flows (NDW)"


def test_site_metadata_is_joined_by_site_and_index(server: str, tmp_path: Path, con: Any) -> None:
    sites = f"{server}/{SITE_TABLE} {server}/{SITE_RECORD}"
    result = harvest(server, "speed-one-site.xml.gz", tmp_path, sites=sites)
    found = rows(con, """
        SELECT value_index, measurement_type, value_type, site_name, road, lane, vehicle_length_class,
               vehicle_type, round(lon, 4), round(lat, 4)
        FROM t ORDER BY value_index""", result.data)
    assert [r[0] for r in found] == list(range(1, 9))
    assert found[0] == (1, "TrafficFlow", "trafficFlow", "N457 hmp 4.75 Re", "N457", "lane1", "<5.6", None,
                        4.6343, 52.0263)
    assert found[1][6] == ">=5.6 <=12.2" and found[2][6] == ">12.2" and found[3][7] == "anyVehicle"
    # indexes 5-8 are only in the full record excerpt: the join reads both tables, the later one wins
    assert found[7] == (8, "TrafficSpeed", "trafficSpeed", "N457 hmp 4.75 Re", "N457", "lane1", None,
                        "anyVehicle", 4.6343, 52.0263)
    assert result.stats["site_rows"] == 12


def test_a_site_table_can_be_harvested_on_its_own(server: str, tmp_path: Path, con: Any) -> None:
    result = harvest(server, SITE_RECORD, tmp_path)  # a bare record, with an undeclared xsi: prefix
    assert rows(con, "SELECT count(*), count(DISTINCT site_id), max(period_s) FROM t", result.data) == [
        (8, 1, 60.0)]
    assert DatasetMetadata.from_mapping(result.metadata).title["nl"] == "Meetlocaties (NDW)"


def test_v3_situations_read_like_v23(server: str, tmp_path: Path, con: Any, bridges: hookspecs.Harvested) -> None:
    result = harvest(server, "brugopeningen_datex2v3_fixture.xml", tmp_path)
    assert types(con, result.data) == types(con, bridges.data)  # one parser, one table shape
    found = rows(con, """
        SELECT bridge_id, strftime(start_time AT TIME ZONE 'UTC', '%H:%M'),
               strftime(end_time AT TIME ZONE 'UTC', '%H:%M'), operator_action_status, probability_of_occurrence,
               round(lon, 4), round(lat, 4), record_version, situation_version
        FROM t ORDER BY situation_id""", result.data)
    assert found == [
        ("NLGRQ000130123300002", "06:09", None, "beingImplemented", "certain", 6.5971, 53.2196, 3, None),
        ("NLGRQ000600504200411", "07:00", "07:06", "approved", "riskOf", 6.3998, 53.2552, 1, None),
        ("6.8:22233", "05:30", "05:36", "beingTerminated", "riskOf", None, None, 2, None),
    ]
    assert DatasetMetadata.from_mapping(result.metadata).title["nl"] == "Brugopeningen (NDW)"


def test_v3_measurements_with_a_v3_site_table(server: str, tmp_path: Path, con: Any) -> None:
    result = harvest(server, "trafficspeed_datex2v3_fixture.xml", tmp_path,
                     sites=f"{server}/measurement_site_table_datex2v3_fixture.xml")
    found = rows(con, """
        SELECT site_id, value_index, measurement_type, vehicle_flow_rate, average_speed, number_of_input_values,
               standard_deviation, data_error, strftime(measurement_time AT TIME ZONE 'UTC', '%H:%M'), site_name,
               road, vehicle_length_class
        FROM t ORDER BY site_id, value_index""", result.data)
    assert found == [
        ("PGR06_PGR01_GB_024-0", 1, "TrafficFlow", 180.0, None, 3, None, False, "18:57", "N46 Eemshavenweg Bedum",
         "N46", None),
        ("PGR06_PGR01_GB_024-0", 2, "TrafficSpeed", None, 48.0, 3, 4.5, False, "18:57", "N46 Eemshavenweg Bedum",
         "N46", "<5.6"),
        ("PGR06_PGR01_GB_024-0", 3, "TrafficSpeed", None, None, 0, None, False, "18:57", "N46 Eemshavenweg Bedum",
         "N46", ">=5.6"),  # speed -1: no vehicles, no speed
        ("RWS04_T_0258_ID_265", 1, "TrafficFlow", None, None, None, None, True, "18:56", None, None, None),
        ("RWS04_T_0258_ID_265", 2, "TrafficSpeed", None, 104.5, 12, 6.25, False, "18:56", None, None, None),
    ]
    assert rows(con, "SELECT DISTINCT round(lon, 4), round(lat, 4) FROM t WHERE site_name IS NOT NULL",
                result.data) == [(6.5979, 53.2994)]


def test_an_empty_publication_gives_an_empty_table_with_its_columns(server: str, tmp_path: Path, con: Any) -> None:
    result = harvest(server, "empty-v3.xml", tmp_path)
    assert result.stats["rows"] == 0 and rows(con, "SELECT count(*) FROM t", result.data) == [(0,)]
    assert types(con, result.data)["measurement_time"] == "TIMESTAMP WITH TIME ZONE"


def test_a_gzip_that_inflates_past_the_size_cap_is_refused(server: str, tmp_path: Path) -> None:
    # 45 KB on the wire, 1.7 MB of XML: the cap counts the XML, so a small gzip bomb cannot run for hours
    with pytest.raises(HarvestError, match="more than 500,000 bytes of XML"):
        harvest(server, BRIDGES, tmp_path, max_bytes=500_000)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("name", "says"), [
    ("truncated.xml.gz", "truncated"),
    ("malformed.xml.gz", "not well-formed XML"),
    ("cut-off.xml", "not well-formed XML"),
    ("billion-laughs.xml", "refused"),
    ("billion-laughs.xml.gz", "refused"),
    ("external-entity.xml", "refused"),
    ("undeclared-entity.xml", "not well-formed XML"),
    ("late-dtd.xml", "not well-formed XML"),
    ("not-datex.xml", "no DATEX II publication"),
    ("missing.xml.gz", "HTTP 404"),
])
def test_a_broken_document_fails_clearly_and_leaves_no_table(server: str, tmp_path: Path, name: str,
                                                             says: str) -> None:
    with pytest.raises(HarvestError) as failure:
        harvest(server, name, tmp_path)
    assert f"{server}/{name}" in failure.value.detail and says in failure.value.detail
    assert list(tmp_path.iterdir()) == []  # no stage, no partial table


def test_a_broken_site_table_fails_the_harvest(server: str, tmp_path: Path) -> None:
    with pytest.raises(HarvestError, match="billion-laughs.xml: refused"):
        harvest(server, "trafficspeed_datex2v3_fixture.xml", tmp_path, sites=f"{server}/billion-laughs.xml")
    assert list(tmp_path.iterdir()) == []


def test_params_are_checked(server: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown params"):
        harvest(server, BRIDGES, tmp_path, prefx="PGR")
    with pytest.raises(InvalidInput, match="joins a site table to traffic measurements"):
        harvest(server, "brugopeningen_datex2v3_fixture.xml", tmp_path, sites=f"{server}/{SITE_TABLE}")
    with pytest.raises(HarvestError, match="must be a MeasurementSiteTablePublication"):
        harvest(server, "trafficspeed_datex2v3_fixture.xml", tmp_path,
                sites=f"{server}/brugopeningen_datex2v3_fixture.xml")
