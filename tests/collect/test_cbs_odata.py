"""Prove that the CBS StatLine connectors turn real recorded OData answers into complete tidy tables, or fail loudly.

A tiny real HTTP server replays the recordings in /work/shared/data/cbs_odata (README there), with their
`odata.nextLink` hosts rewritten to the server. The recordings of 83599NED hold only its two data pages; the
service document, TableInfos, DataProperties and RegioS code list it needs are written below in CBS's format.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from wierde import hookspecs
from wierde.catalog.model import DatasetMetadata
from wierde.collect.connectors.cbs_common import parse_period
from wierde.collect.connectors.cbs_odata import CbsODataV3, CbsODataV4
from wierde.collect.files import ReadOptions, ingest_file
from wierde.collect.http import Fetcher, HarvestError
from wierde.errors import InvalidInput
from wierde.store.duck import connect

RECORDED_HOSTS = ("https://opendata.cbs.nl", "https://beta-odata4.cbs.nl")
V3 = "/ODataFeed/odata"
V4 = "/CBS"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0


Route = Callable[[dict[str, str]], Reply]


@dataclass
class Replay:
    """Answers GET requests by (path, $skip) from recorded bodies, in order; logs what it was asked."""

    base: str = ""
    routes: dict[tuple[str, str | None], list[Reply] | Route] = field(default_factory=dict)
    asked: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def add(self, path: str, *replies: Reply | Route, skip: str | None = None) -> None:
        route = replies[0] if len(replies) == 1 and callable(replies[0]) else list(replies)
        self.routes[(path.rstrip("/").lower(), skip)] = route  # type: ignore[assignment]

    def answer(self, raw_path: str) -> Reply:
        parts = urlsplit(raw_path)
        path = unquote(parts.path).rstrip("/").lower()
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        self.asked.append((path, query))
        route = self.routes.get((path, query.get("$skip")))
        if route is None:
            return Reply(404, b'{"odata.error": {"message": "no such resource"}}')
        if callable(route):
            return route(query)
        return route.pop(0) if len(route) > 1 else route[0]

    def recorded(self, shared: Path, name: str) -> Reply:
        text = (shared / "data" / "cbs_odata" / name).read_text(encoding="utf-8")
        for host in RECORDED_HOSTS:
            text = text.replace(host, self.base)
        return Reply(body=text.encode("utf-8"))


def as_reply(document: Any) -> Reply:
    return Reply(body=json.dumps(document).encode("utf-8"))


@contextmanager
def replay_server() -> Iterator[Replay]:
    """A ThreadingHTTPServer on 127.0.0.1 answering from a Replay's routes."""
    state = Replay()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the name http.server calls
            reply = state.answer(self.path)
            time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to tell it

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def replay() -> Iterator[Replay]:
    with replay_server() as state:
        yield state


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(timeout=5, retries=2, backoff=0.01, deadline_seconds=60) as client:
        yield client


def read(path: Path, sql: str = "SELECT * FROM t") -> list[dict[str, Any]]:
    con = connect(extensions=())
    try:
        con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{path}')")
        relation = con.sql(sql)
        return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
    finally:
        con.close()


def types(path: Path) -> dict[str, str]:
    con = connect(extensions=())
    try:
        relation = con.sql(f"SELECT * FROM read_parquet('{path}')")
        return dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    finally:
        con.close()


# --- the tables the recordings hold -------------------------------------------------------------------------

def serve_80137ned(replay: Replay, shared: Path) -> str:
    root = f"{V3}/80137ned"
    replay.add(root, replay.recorded(shared, "v3/80137ned_service_document.json"))
    for name in ("TableInfos", "DataProperties", "CategoryGroups", "Persoonskenmerken", "BedrijfstakkenSBI93",
                 "Perioden", "TypedDataSet"):
        replay.add(f"{root}/{name}", replay.recorded(shared, f"v3/80137ned_{name}.json"))
    return replay.base + root


REGIONS_83599 = {"NL01": "Nederland", "LD01": "Noord-Nederland (LD)", "LD02": "Oost-Nederland (LD)",
                 "LD03": "West-Nederland (LD)", "LD04": "Zuid-Nederland (LD)", "PV20": "Groningen (PV)",
                 "PV21": "Fryslân (PV)", "PV22": "Drenthe (PV)", "PV23": "Overijssel (PV)", "PV24": "Flevoland (PV)",
                 "PV25": "Gelderland (PV)", "PV26": "Utrecht (PV)", "PV27": "Noord-Holland (PV)",
                 "PV28": "Zuid-Holland (PV)", "PV29": "Zeeland (PV)", "PV30": "Noord-Brabant (PV)",
                 "PV31": "Limburg (PV)"}


def serve_83599ned(replay: Replay, shared: Path, page2: Reply | None = None) -> str:
    """83599NED's two recorded data pages, with stand-in metadata in CBS's v3 format (not recorded)."""
    root = f"{V3}/83599NED"
    sets = ["TableInfos", "UntypedDataSet", "TypedDataSet", "DataProperties", "CategoryGroups", "RegioS"]
    replay.add(root, as_reply({"value": [{"name": n, "url": f"{replay.base}{root}/{n}"} for n in sets]}))
    replay.add(f"{root}/TableInfos", as_reply({"value": [{
        "Identifier": "83599NED", "Title": "Openstaande vacatures; SBI 2008, regio", "Language": "nl",
        "ShortDescription": "Deze tabel bevat het aantal openstaande vacatures naar bedrijfstak en regio.",
        "Summary": "Openstaande vacatures per kwartaal\nnaar bedrijfstak (SBI 2008) en regio",
        "Modified": "2020-08-14T02:00:00", "Frequency": "Perkwartaal", "Period": "2011-2020"}]}))
    replay.add(f"{root}/DataProperties", as_reply({"value": [
        {"ID": 0, "Position": 0, "ParentID": None, "Type": "Dimension", "Key": "BedrijfstakkenBranchesSBI2008",
         "Title": "Bedrijfstakken/branches (SBI 2008)"},
        {"ID": 1, "Position": 1, "ParentID": None, "Type": "GeoDimension", "Key": "RegioS", "Title": "Regio's"},
        {"ID": 2, "Position": 2, "ParentID": None, "Type": "TimeDimension", "Key": "Perioden", "Title": "Perioden"},
        {"ID": 3, "Position": 3, "ParentID": None, "Type": "Topic", "Key": "OpenstaandeVacatures_1",
         "Title": "Openstaande vacatures", "Unit": "x 1 000", "Decimals": 1, "Datatype": "Double"}]}))
    replay.add(f"{root}/RegioS", as_reply({"value": [
        {"Key": code.ljust(6), "Title": title, "Description": None, "CategoryGroupID": None}
        for code, title in REGIONS_83599.items()]}))
    replay.add(f"{root}/UntypedDataSet", replay.recorded(shared, "v3/83599NED_UntypedDataSet_page1.json"))
    replay.add(f"{root}/UntypedDataSet", page2 or replay.recorded(
        shared, "v3/83599NED_UntypedDataSet_page2_skip10000.json"), skip="10000")
    return replay.base + root


def serve_80072ned(replay: Replay, shared: Path, *observations: Reply | Route) -> str:
    root = f"{V4}/80072ned"
    replay.add(root, replay.recorded(shared, "v4/80072ned_service_document.json"))
    for name in ("MeasureCodes", "Dimensions", "Properties", "PeriodenGroups", "PeriodenCodes",
                 "BedrijfskenmerkenSBI2008Groups", "BedrijfskenmerkenSBI2008Codes"):
        replay.add(f"{root}/{name}", replay.recorded(shared, f"v4/80072ned_{name}.json"))
    replay.add(f"{root}/Observations", *(observations or (replay.recorded(shared, "v4/80072ned_Observations.json"),)))
    return replay.base + root


# --- v3 -----------------------------------------------------------------------------------------------------

def test_v3_follows_next_link_to_every_row_with_trimmed_codes_and_symbols_kept(replay, shared, fetcher, tmp_path):
    url = serve_83599ned(replay, shared)
    result = CbsODataV3().harvest(fetcher, url, {}, tmp_path)

    assert result.format == "parquet" and result.remote_id == "cbs:83599NED"
    assert result.stats["pages"] == 2 and result.stats["rows"] == 15_504
    assert ("/odatafeed/odata/83599ned/untypeddataset", {"$format": "json", "$skip": "10000"}) in replay.asked
    assert read(result.data, "SELECT count(*) AS n FROM t") == [{"n": 15_504}]
    regions = read(result.data, "SELECT DISTINCT regio_code, regio_titel FROM t ORDER BY 1")
    assert len(regions) == 17 and {"regio_code": "PV20", "regio_titel": "Groningen (PV)"} in regions
    first = read(result.data, "SELECT * FROM t WHERE regio_code = 'PV20' AND periode = '2011KW01' "
                              "AND BedrijfstakkenBranchesSBI2008 = 'T001081'")
    assert first == [{
        "regio_code": "PV20", "regio_titel": "Groningen (PV)", "BedrijfstakkenBranchesSBI2008": "T001081",
        "BedrijfstakkenBranchesSBI2008_titel": None, "periode": "2011KW01", "periode_titel": None, "jaar": 2011,
        "periode_soort": "KW", "periode_start": parse_period("2011KW01").start, "status": None,
        "maat": "OpenstaandeVacatures_1", "maat_titel": "Openstaande vacatures", "maat_groep": None,
        "eenheid": "x 1 000", "waarde": 3.8, "waarde_kenmerk": None}]
    # The one cell without a figure (PV31, 2014 Q3): no number, and its (empty) CBS symbol is kept.
    empty = read(result.data, "SELECT waarde, waarde_kenmerk FROM t WHERE waarde IS NULL")
    assert empty == [{"waarde": None, "waarde_kenmerk": ""}]
    assert read(result.data, "SELECT count(*) AS n FROM t WHERE BedrijfstakkenBranchesSBI2008 LIKE '% '") == [{"n": 0}]


def test_v3_untyped_symbols_for_secret_unknown_and_nil_are_kept(replay, shared, fetcher, tmp_path):
    page2 = json.loads((shared / "data/cbs_odata/v3/83599NED_UntypedDataSet_page2_skip10000.json").read_text())
    for row, symbol in zip(page2["value"][:3], ("       x", "       .", "       -"), strict=True):
        row["OpenstaandeVacatures_1"] = symbol
    url = serve_83599ned(replay, shared, page2=as_reply(page2))
    result = CbsODataV3().harvest(fetcher, url, {}, tmp_path)
    marked = read(result.data, "SELECT waarde, waarde_kenmerk FROM t WHERE waarde_kenmerk IS NOT NULL "
                               "AND waarde_kenmerk <> '' ORDER BY waarde_kenmerk")
    assert marked == [{"waarde": 0.0, "waarde_kenmerk": "-"}, {"waarde": None, "waarde_kenmerk": "."},
                      {"waarde": None, "waarde_kenmerk": "x"}]
    assert result.stats["rows"] == 15_504


def test_v3_typed_table_gets_dimension_titles_units_and_status(replay, shared, fetcher, tmp_path):
    url = serve_80137ned(replay, shared)
    result = CbsODataV3().harvest(fetcher, url, {"dataset": "typed"}, tmp_path)

    assert result.stats["rows"] == 675 * 12  # 675 rows of 12 topics each
    assert "regio_code" not in types(result.data)  # no region dimension in this table
    row = read(result.data, "SELECT * FROM t WHERE Persoonskenmerken = '1' AND BedrijfstakkenSBI93 = '99' "
                            "AND periode = '2001JJ00' AND maat = 'Totaal_10'")
    assert row == [{
        "Persoonskenmerken": "1", "Persoonskenmerken_titel": "Totaal", "BedrijfstakkenSBI93": "99",
        "BedrijfstakkenSBI93_titel": "Totaal economische activiteiten", "periode": "2001JJ00",
        "periode_titel": "2001", "jaar": 2001, "periode_soort": "JJ", "periode_start": parse_period("2001JJ00").start,
        "status": "Definitief", "maat": "Totaal_10", "maat_titel": "Totaal",
        "maat_groep": "Beloning van werknemers (loonkosten)", "eenheid": "mld euro", "waarde": 227.4,
        "waarde_kenmerk": None}]
    assert read(result.data, "SELECT count(*) AS n FROM t WHERE waarde IS NULL OR status IS NULL") == [{"n": 0}]


def test_v3_odata_api_url_is_read_through_the_paging_feed(replay, shared, fetcher, tmp_path):
    serve_80137ned(replay, shared)
    url = f"{replay.base}/ODataApi/odata/80137ned/TypedDataSet?$format=json"
    result = CbsODataV3().harvest(fetcher, url, {"dataset": "typed"}, tmp_path)
    assert result.stats["rows"] == 675 * 12 and result.remote_id == "cbs:80137ned"


def test_v3_params_filter_measures_and_regions(replay, shared, fetcher, tmp_path):
    url = serve_83599ned(replay, shared)
    params = {"filter": "substringof('PV', RegioS)", "measures": "OpenstaandeVacatures_1", "regions": "PV20,GM"}
    result = CbsODataV3().harvest(fetcher, url, params, tmp_path)

    data_request = next(q for p, q in replay.asked if p.endswith("/untypeddataset") and "$skip" not in q)
    assert data_request["$filter"] == "substringof('PV', RegioS)"
    assert data_request["$select"] == "ID,BedrijfstakkenBranchesSBI2008,RegioS,Perioden,OpenstaandeVacatures_1"
    assert read(result.data, "SELECT DISTINCT regio_code FROM t") == [{"regio_code": "PV20"}]
    assert result.stats["rows"] == 912
    assert result.metadata["spatial"] == ["PV20"]


def test_unknown_params_and_measures_are_refused(replay, shared, fetcher, tmp_path):
    url = serve_83599ned(replay, shared)
    with pytest.raises(InvalidInput, match="unknown params \\['measure'\\]"):
        CbsODataV3().harvest(fetcher, url, {"measure": "x"}, tmp_path)
    with pytest.raises(InvalidInput, match="no measures \\['Vacatures'\\]"):
        CbsODataV3().harvest(fetcher, url, {"measures": "Vacatures"}, tmp_path)


# --- v4 -----------------------------------------------------------------------------------------------------

def test_v4_observations_become_tidy_rows_with_measure_titles_and_units(replay, shared, fetcher, tmp_path):
    url = serve_80072ned(replay, shared)
    result = CbsODataV4().harvest(fetcher, url, {}, tmp_path)

    assert result.remote_id == "cbs:80072ned" and result.stats["rows"] == 4409 and result.stats["pages"] == 1
    first = read(result.data, "SELECT * FROM t LIMIT 1")
    assert first == [{
        "BedrijfskenmerkenSBI2008": "T001081", "BedrijfskenmerkenSBI2008_titel": "A-U Alle economische activiteiten",
        "periode": "1996KW01", "periode_titel": "1996 1e kwartaal", "jaar": 1996, "periode_soort": "KW",
        "periode_start": parse_period("1996KW01").start, "status": "Definitief", "maat": "M001924",
        "maat_titel": "Ziekteverzuimpercentage", "maat_groep": None, "eenheid": "%", "waarde": 5.5,
        "waarde_kenmerk": None}]
    provisional = read(result.data, "SELECT DISTINCT periode FROM t WHERE status = 'Voorlopig'")
    assert provisional == [{"periode": "2020KW01"}]


def test_v4_measures_and_filter_are_sent_to_the_server(replay, shared, fetcher, tmp_path):
    url = serve_80072ned(replay, shared)
    params = {"filter": "Perioden eq '2019JJ00'", "measures": "M001924"}
    CbsODataV4().harvest(fetcher, url, params, tmp_path)
    sent = next(q for p, q in replay.asked if p.endswith("/observations"))
    assert sent["$filter"] == "(Perioden eq '2019JJ00') and (Measure eq 'M001924')"


def test_tidy_table_keeps_its_types_through_the_file_ingester(replay, shared, fetcher, tmp_path):
    url = serve_80072ned(replay, shared)
    result = CbsODataV4().harvest(fetcher, url, {}, tmp_path)
    con = connect()
    try:
        ingested = ingest_file(con, result.data, tmp_path / "version.parquet", ReadOptions(format="parquet"))
    finally:
        con.close()
    kinds = {f["name"]: f["type"] for f in ingested.schema["fields"]}
    assert ingested.row_count == 4409
    assert (kinds["BedrijfskenmerkenSBI2008"], kinds["periode"], kinds["jaar"], kinds["periode_start"],
            kinds["waarde"], kinds["waarde_kenmerk"]) == ("string", "string", "integer", "date", "number", "string")


def test_an_unchanged_table_gives_the_same_file(replay, shared, fetcher, tmp_path):
    url = serve_80072ned(replay, shared)
    digests = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        result = CbsODataV4().harvest(fetcher, url, {}, tmp_path / name)
        digests.append(hashlib.sha256(result.data.read_bytes()).hexdigest())
    assert digests[0] == digests[1]


# --- metadata -----------------------------------------------------------------------------------------------

def test_metadata_is_valid_dcat_ap_nl_for_both_versions(replay, shared, fetcher, tmp_path):
    v3 = CbsODataV3().harvest(fetcher, serve_83599ned(replay, shared), {}, tmp_path / "v3")
    v4 = CbsODataV4().harvest(fetcher, serve_80072ned(replay, shared), {}, tmp_path / "v4")

    for meta in (v3.metadata, v4.metadata):
        checked = DatasetMetadata.from_mapping(meta)
        assert checked.publisher.uri == "https://identifier.overheid.nl/tooi/id/zbo/zb000193"
        assert checked.publisher.name == "Centraal Bureau voor de Statistiek"
        assert (checked.licence, checked.attribution) == ("CC-BY-4.0", "Bron: CBS")
    assert v3.metadata["title"] == {"nl": "Openstaande vacatures; SBI 2008, regio"}
    assert v3.metadata["source"] == "https://opendata.cbs.nl/statline/#/CBS/nl/dataset/83599NED"
    assert v3.metadata["themes"] == ["ECON", "REGI"]
    assert v3.metadata["accrual_periodicity"] == "quarterly"
    assert v3.metadata["temporal"] == {"start": "2011-01-01", "end": "2020-06-30"}
    assert v3.metadata["spatial"] == ["NL"]
    assert v4.metadata["title"] == {"nl": "Ziekteverzuimpercentage; bedrijfstakken (SBI 2008) en bedrijfsgrootte"}
    assert v4.metadata["modified"] == "2020-06-19"
    assert v4.metadata["themes"] == ["ECON", "HEAL"]
    assert v4.metadata["contact_point"]["email"] == "infoservice@cbs.nl"
    assert v4.metadata["temporal"] == {"start": "1996-01-01", "end": "2020-03-31"}


def test_both_connectors_are_registered_by_name():
    assert isinstance(hookspecs.connector("cbs-odata-v3"), CbsODataV3)
    assert isinstance(hookspecs.connector("cbs-odata-v4"), CbsODataV4)


def test_period_codes_are_read_as_calendar_periods():
    year, quarter, month, half = (parse_period(c) for c in ("2024JJ00", "2024KW03", "2024MM02", "2024HJ02"))
    assert (year.year, year.kind, str(year.start), str(year.end)) == (2024, "JJ", "2024-01-01", "2024-12-31")
    assert (quarter.kind, str(quarter.start), str(quarter.end)) == ("KW", "2024-07-01", "2024-09-30")
    assert (str(month.start), str(month.end)) == ("2024-02-01", "2024-02-29")
    assert (str(half.start), str(half.end)) == ("2024-07-01", "2024-12-31")
    other = parse_period("2015G300")
    assert (other.year, other.kind, other.start) == (2015, "G3", None)


# --- faults: a table is complete or not written -------------------------------------------------------------

def test_server_errors_that_pass_are_retried(replay, shared, fetcher, tmp_path):
    recorded = replay.recorded(shared, "v4/80072ned_Observations.json")
    url = serve_80072ned(replay, shared, Reply(500), Reply(500), recorded)
    assert CbsODataV4().harvest(fetcher, url, {}, tmp_path).stats["rows"] == 4409


def test_a_server_that_keeps_failing_gives_a_harvest_error_naming_the_url(replay, shared, fetcher, tmp_path):
    url = serve_80072ned(replay, shared, Reply(500))
    with pytest.raises(HarvestError, match=r"/CBS/80072ned/Observations: HTTP 500"):
        CbsODataV4().harvest(fetcher, url, {}, tmp_path)
    assert not list(tmp_path.glob("*.parquet"))


def test_truncated_json_is_refused(replay, shared, fetcher, tmp_path):
    body = replay.recorded(shared, "v4/80072ned_Observations.json").body
    url = serve_80072ned(replay, shared, Reply(body=body[: len(body) // 2]))
    with pytest.raises(HarvestError, match=r"/CBS/80072ned/Observations: the answer is not valid JSON"):
        CbsODataV4().harvest(fetcher, url, {}, tmp_path)
    assert not list(tmp_path.glob("*.parquet"))


def test_a_page_without_rows_is_refused(replay, shared, fetcher, tmp_path):
    url = serve_80072ned(replay, shared, as_reply({"@odata.context": "…#Observations", "message": "busy"}))
    with pytest.raises(HarvestError, match=r"/Observations: the answer has no 'value' list"):
        CbsODataV4().harvest(fetcher, url, {}, tmp_path)


def test_a_next_link_back_to_the_same_page_is_refused(replay, shared, fetcher, tmp_path):
    def same_page(query: dict[str, str]) -> Reply:
        return as_reply({"value": [{"Id": 1, "Measure": "M001924", "Value": 1.0, "ValueAttribute": "None"}],
                         "@odata.nextLink": f"{replay.base}{V4}/80072ned/Observations"})
    url = serve_80072ned(replay, shared, same_page)
    with pytest.raises(HarvestError, match=r"/Observations: the next-page link leads back to a page already read"):
        CbsODataV4().harvest(fetcher, url, {}, tmp_path)


def test_an_endless_chain_of_pages_stops_at_max_pages(replay, shared, fetcher, tmp_path):
    def endless(query: dict[str, str]) -> Reply:
        skip = int(query.get("$skip", "0")) + 1
        return as_reply({"value": [], "@odata.nextLink": f"{replay.base}{V4}/80072ned/Observations?$skip={skip}"})
    url = serve_80072ned(replay, shared, endless)
    for skip in range(1, 10):
        replay.add(f"{V4}/80072ned/Observations", endless, skip=str(skip))
    with pytest.raises(HarvestError, match=r"/Observations: more than 5 pages"):
        CbsODataV4().harvest(fetcher, url, {"max_pages": "5"}, tmp_path)


def test_a_server_that_does_not_answer_in_time_gives_a_harvest_error(replay, shared, tmp_path):
    url = serve_80072ned(replay, shared, Reply(body=b'{"value": []}', delay=0.5))
    with Fetcher(timeout=0.1, retries=1, backoff=0.01, deadline_seconds=30) as impatient, \
            pytest.raises(HarvestError, match=r"/Observations: ReadTimeout"):
        CbsODataV4().harvest(impatient, url, {}, tmp_path)


# --- through the harvest door -------------------------------------------------------------------------------

def test_a_harvested_cbs_table_becomes_a_version_and_an_unchanged_one_does_not(replay, shared, store):
    from wierde.collect.harvest import Source, harvest

    source = Source(id="verzuim-cbs", connector="cbs-odata-v4", url=serve_80072ned(replay, shared),
                    dataset="verzuim")
    def quick(_: Source) -> Fetcher:
        return Fetcher(timeout=5, retries=1, backoff=0.01)

    first, second = harvest(store, source, fetcher=quick), harvest(store, source, fetcher=quick)
    assert (first.outcome, second.outcome, second.version) == ("new-version", "unchanged", 1)
    assert first.stats["rows"] == 4409 and first.stats["remote_id"] == "cbs:80072ned"
    assert store.dataset("verzuim").meta["publisher"]["name"] == "Centraal Bureau voor de Statistiek"
