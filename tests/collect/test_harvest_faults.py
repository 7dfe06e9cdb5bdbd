"""Prove that a source that misbehaves never makes a mess: through the real harvest() flow (and `wierde harvest
SOURCE`), each fault leaves the last good version current, puts the failure in the harvest log, and fails loudly.

The faults come from a real HTTP server on 127.0.0.1 (tests/helpers/replay.misbehaving_server): server errors that
do not pass, answers that never come, truncated gzip, malformed XML and JSON, next-page chains that never end or loop
back, a 2 GB body made lazily and never held, and a paged table that breaks on page 3 of 5.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from typer.testing import CliRunner

from tests.helpers.replay import Reply, gzip_truncated, lazy_body, misbehaving_server
from wierde.cli import app
from wierde.collect.connectors import ckan, dcat, knmi  # noqa: F401  (they register themselves)
from wierde.collect.harvest import Source, harvest, resume_dir
from wierde.collect.http import Fetcher, HarvestError
from wierde.config import Settings
from wierde.store import harvest_log
from wierde.store.repository import Store

CSV = b"gemeente_code,naam,inwoners\nGM0014,Groningen,238147\nGM0765,Pekela,12230\nGM1966,Het Hogeland,47847\n"
NDW_V3 = Path(__file__).parent / "ndw_fixtures" / "brugopeningen_datex2v3_fixture.xml"
RETRIES = 2
GIGABYTES_2 = 2 * 1024**3


def quick(_: Source) -> Fetcher:
    """A fetcher as impatient as a test can afford on a busy machine: short timeout, two quick retries, 32 MiB cap."""
    return Fetcher(timeout=1.5, retries=RETRIES, backoff=0.01, deadline_seconds=60, max_bytes=32 * 1024**2)


# --- the sources: each answers well while `broken` is off, and with its fault once it is on -----------------

Behaviour = Callable[[str, dict[str, str], "Scene"], Reply | None]


@dataclass
class Scene:
    """One misbehaving source: how it answers when good and when broken, and what the harvest must say."""

    name: str
    connector: str
    path: str
    good: Behaviour
    bad: Behaviour
    message: str  # the harvest error, as a regular expression
    params: dict[str, str] = field(default_factory=dict)
    broken: bool = False
    base: str = ""

    def behave(self, raw: str) -> Reply | None:
        parts = urlsplit(raw)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return (self.bad if self.broken else self.good)(parts.path, query, self)

    def source(self) -> Source:
        return Source(id=f"{self.name}-bron", connector=self.connector, url=self.base + self.path,
                      dataset=self.name, params=self.params)


def csv_file(path: str, query: dict[str, str], scene: Scene) -> Reply:
    return Reply(body=CSV, content_type="text/csv")


def json_records(path: str, query: dict[str, str], scene: Scene) -> Reply:
    rows = [{"code": "GM0014", "meldingen": 3}, {"code": "GM1966", "meldingen": 5}]
    return Reply(body=json.dumps({"data": rows}).encode())


def ndw_feed(path: str, query: dict[str, str], scene: Scene) -> Reply:
    return Reply(body=gzip.compress(NDW_V3.read_bytes()), content_type="application/gzip")


# A small CBS StatLine OData v3 table (shapes as opendata.cbs.nl answers; see test_cbs_odata.py for recordings):
# 5 pages of 2 rows, one region dimension, one period dimension, one topic.
CBS_ROOT = "/ODataFeed/odata/99999NED"
CBS_PAGES = 5


def cbs_table(path: str, query: dict[str, str], scene: Scene, fail_page: int | None = None) -> Reply | None:
    base = scene.base + CBS_ROOT
    name = path.removeprefix(CBS_ROOT).strip("/")
    documents: dict[str, Any] = {
        "": {"value": [{"name": n, "url": f"{base}/{n}"} for n in
                       ("TableInfos", "UntypedDataSet", "DataProperties", "RegioS", "Perioden")]},
        "TableInfos": {"value": [{"Identifier": "99999NED", "Title": "Bevolking; regio", "Language": "nl",
                                  "ShortDescription": "Inwoners per regio.", "Frequency": "Perjaar"}]},
        "DataProperties": {"value": [
            {"ID": 0, "Position": 0, "Type": "GeoDimension", "Key": "RegioS", "Title": "Regio's"},
            {"ID": 1, "Position": 1, "Type": "TimeDimension", "Key": "Perioden", "Title": "Perioden"},
            {"ID": 2, "Position": 2, "Type": "Topic", "Key": "Inwoners_1", "Title": "Inwoners", "Unit": "aantal",
             "Datatype": "Long"}]},
        "RegioS": {"value": [{"Key": "GM0014", "Title": "Groningen"}, {"Key": "GM1966", "Title": "Het Hogeland"}]},
        "Perioden": {"value": [{"Key": f"{2015 + p}JJ00", "Title": str(2015 + p), "Status": "Definitief"}
                               for p in range(CBS_PAGES)]},
    }
    if name in documents:
        return Reply(body=json.dumps(documents[name]).encode())
    if name != "UntypedDataSet":
        return None
    page = int(query.get("$skip", "0")) // 2 + 1
    if page == fail_page:
        return Reply(500, body=b'{"odata.error": {"message": "Service unavailable"}}')
    rows = [{"ID": page * 2 + i, "RegioS": code.ljust(6), "Perioden": f"{2014 + page}JJ00",
             "Inwoners_1": f"{1000 * page + i:>8}"} for i, code in enumerate(("GM0014", "GM1966"))]
    document: dict[str, Any] = {"value": rows}
    if page < CBS_PAGES:
        document["odata.nextLink"] = f"{base}/UntypedDataSet?$format=json&$skip={page * 2}"
    return Reply(body=json.dumps(document).encode())


def cbs_endless(path: str, query: dict[str, str], scene: Scene) -> Reply | None:
    answer = cbs_table(path, query, scene)
    if answer is None or "UntypedDataSet" not in path:
        return answer
    skip = int(query.get("$skip", "0"))
    document = json.loads(answer.body if isinstance(answer.body, bytes) else b"")
    document["odata.nextLink"] = f"{scene.base}{CBS_ROOT}/UntypedDataSet?$format=json&$skip={skip + 2}"
    return Reply(body=json.dumps(document).encode())


def cbs_loop(path: str, query: dict[str, str], scene: Scene) -> Reply | None:
    answer = cbs_table(path, query, scene)
    if answer is None or "UntypedDataSet" not in path or query.get("$skip") != "4":
        return answer
    document = json.loads(answer.body if isinstance(answer.body, bytes) else b"")
    document["odata.nextLink"] = f"{scene.base}{CBS_ROOT}/UntypedDataSet?$format=json&$skip=2"
    return Reply(body=json.dumps(document).encode())


FEED_PAGE = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<{base}/feed.ttl?page={page}> a hydra:PartialCollectionView {next} .
<{base}/id/dataset/d{page}> a dcat:Dataset ; dct:title "Dataset {page}"@nl ; dct:identifier "{identifier}" ;
  dcat:distribution [ dcat:downloadURL <{base}/data.csv> ; dct:format "CSV" ] .
"""


def dcat_feed(path: str, query: dict[str, str], scene: Scene, endless: bool = False) -> Reply | None:
    if path == "/data.csv":
        return csv_file(path, query, scene)
    if path not in ("/feed", "/feed.ttl"):
        return None
    page = int(query.get("page", "1"))
    more = endless or page < 2
    link = f"; hydra:next <{scene.base}/feed.ttl?page={page + 1}>" if more else ""
    identifier = f"d{page}" if more else "target"  # an endless feed never reaches the wanted dataset
    body = FEED_PAGE.format(base=scene.base, page=page, next=link, identifier=identifier)
    return Reply(body=body.encode(), content_type="text/turtle")


def ckan_portal(path: str, query: dict[str, str], scene: Scene, endless: bool = False) -> Reply | None:
    if path == "/data.csv":
        return csv_file(path, query, scene)
    if path != "/api/3/action/package_search":
        return None
    start, rows = int(query.get("start", "0")), int(query.get("rows", "10"))
    found = [{"id": f"p{n}", "name": f"inwoners-{n}", "title": "Inwoners",
              "resources": [{"id": f"r{n}", "format": "CSV", "url": f"{scene.base}/data.csv"}]}
             for n in range(start, start + rows)]
    count = 10**9 if endless else 1
    result = {"count": count, "results": found[: max(0, min(rows, count - start))]}
    return Reply(body=json.dumps({"help": "…", "success": True, "result": result}).encode())


def always(reply: Reply) -> Behaviour:
    return lambda path, query, scene: reply


SCENES = [
    Scene("server-errors", "http", "/inwoners.csv", csv_file, always(Reply(500, body=b"Internal Server Error")),
          r"/inwoners.csv: HTTP 500"),
    Scene("timeout", "http", "/inwoners.csv", csv_file, always(Reply(body=CSV, delay=6.0)),
          r"/inwoners.csv: ReadTimeout"),
    Scene("truncated-gzip", "ndw-datex2", "/brugopeningen.xml.gz", ndw_feed,
          always(Reply(body=gzip_truncated(NDW_V3.read_bytes()), content_type="application/gzip")),
          r"the gzip stream ends early: the download is truncated"),
    Scene("malformed-xml-datex2", "ndw-datex2", "/brugopeningen.xml.gz", ndw_feed,
          always(Reply(body=gzip.compress(NDW_V3.read_bytes()[:-200] + b"<kapot"))), r"not well-formed XML"),
    Scene("malformed-xml-rdf", "dcat", "/feed", dcat_feed,
          lambda p, q, s: dcat_feed(p, q, s) if p != "/feed" else Reply(body=b"<rdf:RDF><dcat:Dataset>"),
          r"/feed: not well-formed XML", params={"dataset": "target"}),
    Scene("malformed-json", "http", "/meldingen.json", json_records, always(Reply(body=b'{"data": [{"code": "GM')),
          r"/meldingen.json: the answer is not valid JSON", params={"records": "data"}),
    Scene("malformed-json-ckan", "ckan", "", ckan_portal, always(Reply(body=b'{"success": true, "result": {')),
          r"/api/3/action/package_search: the answer is not valid JSON", params={"q": "inwoners"}),
    Scene("endless-odata-next", "cbs-odata-v3", CBS_ROOT, cbs_table, cbs_endless,
          r"/UntypedDataSet\?\$format=json: more than 8 pages", params={"max_pages": "8"}),
    Scene("looping-odata-next", "cbs-odata-v3", CBS_ROOT, cbs_table, cbs_loop,
          r"the next-page link leads back to a page already read; the source loops"),
    Scene("endless-hydra-next", "dcat", "/feed.ttl", dcat_feed, lambda p, q, s: dcat_feed(p, q, s, endless=True),
          r"/feed.ttl: more than 8 pages", params={"dataset": "target", "max_pages": "8"}),
    Scene("endless-ckan-paging", "ckan", "", ckan_portal, lambda p, q, s: ckan_portal(p, q, s, endless=True),
          r"package_search: more than 8 pages of 10", params={"q": "inwoners", "rows": "10", "max_pages": "8"}),
    Scene("two-gigabytes", "http", "/inwoners.csv", csv_file,
          always(Reply(body=lazy_body(GIGABYTES_2), length=GIGABYTES_2, content_type="text/csv")),
          r"/inwoners.csv: the answer is 2,147,483,648 bytes, more than the 33,554,432 this harvest may read"),
    Scene("page-3-of-5-fails", "cbs-odata-v3", CBS_ROOT, cbs_table, lambda p, q, s: cbs_table(p, q, s, fail_page=3),
          r"/UntypedDataSet\?\$format=json&\$skip=4: HTTP 500"),
]


@pytest.fixture(params=SCENES, ids=lambda scene: scene.name)
def scene(request: pytest.FixtureRequest) -> Iterator[Scene]:
    current = Scene(**{**request.param.__dict__, "broken": False})
    with misbehaving_server(current.behave) as served:
        current.base = served.base
        current.served = served  # type: ignore[attr-defined]
        yield current


def leftovers(settings: Settings) -> list[Path]:
    return sorted(settings.tmp_dir.glob("harvest-*")) if settings.tmp_dir.exists() else []


# --- through harvest() ----------------------------------------------------------------------------------------

def test_a_fault_keeps_the_last_good_version_current_and_is_logged(scene: Scene, store: Store) -> None:
    source = scene.source()
    first = harvest(store, source, fetcher=quick)
    assert first.outcome == "new-version"
    good_rows = store.version(scene.name).row_count

    scene.broken = True
    with pytest.raises(HarvestError, match=scene.message):
        harvest(store, source, fetcher=quick)

    current = store.version(scene.name)
    assert (current.number, current.row_count) == (1, good_rows), "the last good version stays current"
    log = harvest_log.history(store, source=source.id)
    assert [h.outcome for h in log] == ["failed", "new-version"]
    assert log[0].error and re.search(scene.message, log[0].error), log[0].error
    assert leftovers(store.settings) == [], "a failed harvest leaves no work folder behind"


def test_server_errors_are_retried_before_the_harvest_gives_up(store: Store) -> None:
    scene = next(s for s in SCENES if s.name == "server-errors")
    scene = Scene(**{**scene.__dict__, "broken": True})
    with misbehaving_server(scene.behave) as served:
        scene.base = served.base
        with pytest.raises(HarvestError, match="HTTP 500"):
            harvest(store, scene.source(), fetcher=quick)
    assert served.count("/inwoners.csv") == RETRIES + 1


def test_a_two_gigabyte_answer_is_refused_long_before_it_is_all_sent(store: Store) -> None:
    scene = next(s for s in SCENES if s.name == "two-gigabytes")
    scene = Scene(**{**scene.__dict__, "broken": True})
    with misbehaving_server(scene.behave) as served:
        scene.base = served.base
        with pytest.raises(HarvestError, match="refused before reading it"):
            harvest(store, scene.source(), fetcher=quick)
    sent = served.sent.get("/inwoners.csv", 0)
    assert sent < 256 * 1024**2, f"{sent:,} bytes went out of {GIGABYTES_2:,}"


def test_a_paged_harvest_that_broke_on_page_3_resumes_there_when_rerun(store: Store) -> None:
    """Pages read whole before the failure are kept for the rerun (for a few hours only: a source revised since
    would otherwise be stitched from two revisions); a successful run drops them."""
    scene = Scene("bevolking", "cbs-odata-v3", CBS_ROOT, cbs_table, lambda p, q, s: cbs_table(p, q, s, fail_page=3),
                  "", broken=True)
    with misbehaving_server(scene.behave) as served:
        scene.base = served.base
        with pytest.raises(HarvestError, match=r"skip=4: HTTP 500"):
            harvest(store, scene.source(), fetcher=quick)
        pages_before = [h for h in served.hits if "UntypedDataSet" in h]
        scene.broken = False
        rerun = harvest(store, scene.source(), fetcher=quick)
        pages_after = [h for h in served.hits if "UntypedDataSet" in h][len(pages_before):]

    assert len({p for p in pages_before}) == 3, "pages 1 and 2 were read, page 3 failed"
    assert (rerun.outcome, rerun.stats["rows"], rerun.stats["pages"]) == ("new-version", 2 * CBS_PAGES, CBS_PAGES)
    assert rerun.stats["resumed_pages"] >= 2, "pages 1 and 2 (and the table's metadata) came from the failed run"
    assert len(pages_after) == CBS_PAGES - 2, "only pages 3 and later were asked again"
    assert "skip=4" in pages_after[0], "the rerun asks the source again from page 3"
    assert store.version("bevolking").row_count == 2 * CBS_PAGES
    assert [h.outcome for h in harvest_log.history(store, source=scene.source().id)] == ["new-version", "failed"]
    assert leftovers(store.settings) == []
    assert not resume_dir(store, scene.source()).exists(), "a successful run leaves nothing to resume"


def gzip_cut_after_rows(rows: bytes, keep: int) -> bytes:
    """A gzip stream of `rows` cut right after a flush that follows the first `keep` lines: what a streamed
    answer looks like when a proxy drops the connection. It decompresses to whole lines, so only the missing
    gzip trailer tells that the end is gone."""
    lines = rows.splitlines(keepends=True)
    packer = zlib.compressobj(wbits=31)  # 31: gzip framing
    return packer.compress(b"".join(lines[:keep])) + packer.flush(zlib.Z_FULL_FLUSH)


def test_a_truncated_gzip_content_encoding_is_refused(store: Store) -> None:
    state = {"broken": False}

    def behave(path: str) -> Reply:
        body = gzip_cut_after_rows(CSV, keep=2) if state["broken"] else gzip.compress(CSV)
        return Reply(body=body, content_type="text/csv", headers={"Content-Encoding": "gzip"})

    with misbehaving_server(behave) as served:
        source = Source(id="gz", connector="http", url=f"{served.base}/inwoners.csv", dataset="inwoners")
        assert harvest(store, source, fetcher=quick).stats["rows"] == 3
        state["broken"] = True
        with pytest.raises(HarvestError):
            harvest(store, source, fetcher=quick)
    assert store.version("inwoners").row_count == 3


def test_a_redirect_loop_is_a_harvest_error(store: Store) -> None:
    def behave(path: str) -> Reply:
        return Reply(302, headers={"Location": "/b" if path == "/a" else "/a"})

    with misbehaving_server(behave) as served:
        source = Source(id="rondje", connector="http", url=f"{served.base}/a", dataset="rondje")
        with pytest.raises(HarvestError, match="redirect"):
            harvest(store, source, fetcher=quick)
    assert harvest_log.history(store, source="rondje")[0].outcome == "failed"


# --- through `wierde harvest SOURCE` --------------------------------------------------------------------------

runner = CliRunner()
# Every fault goes through the same door (harvest() raises, the command exits 6), so three quick ones run always and
# the rest are marked slow: each takes a few seconds through the CLI, and 500s and timeouts end only at the source's
# deadline (the CLI's fetcher backs off for seconds between retries). The 2 GB answer is left to harvest() above:
# with the default 2 GiB cap the CLI would download all of it before refusing.
QUICK_BY_CLI = {"malformed-json", "endless-hydra-next", "truncated-gzip"}
ENDED_BY_DEADLINE = {"server-errors": 4, "timeout": 4}  # seconds; the timeout scene answers only after 6
CLI_SCENES = [pytest.param(s, id=s.name, marks=[] if s.name in QUICK_BY_CLI else [pytest.mark.slow])
              for s in SCENES if s.name != "two-gigabytes"]


@pytest.mark.parametrize("template", CLI_SCENES)
def test_wierde_harvest_exits_non_zero_and_keeps_the_good_version(template: Scene, tmp_path: Path) -> None:
    scene = Scene(**{**template.__dict__, "broken": False})
    home = tmp_path / "instance"
    with misbehaving_server(scene.behave) as served:
        scene.base = served.base
        source = {"id": "bron", "connector": scene.connector, "url": served.base + scene.path, "dataset": "data",
                  "params": scene.params, "deadline_seconds": ENDED_BY_DEADLINE.get(scene.name, 30)}
        home.mkdir()
        (home / "sources.yaml").write_text(yaml.safe_dump({"sources": [source]}), encoding="utf-8")
        good = runner.invoke(app, ["harvest", "bron", "--home", str(home), "--json"])
        assert good.exit_code == 0, good.output
        scene.broken = True
        bad = runner.invoke(app, ["harvest", "bron", "--home", str(home), "--json"])

    assert bad.exit_code == 6, bad.output
    assert json.loads(bad.output)[0]["outcome"] == "failed"
    store = Store.open(Settings(home=home))
    try:
        assert store.version("data").number == 1
        assert [h.outcome for h in harvest_log.history(store, source="bron")] == ["failed", "new-version"]
    finally:
        store.close()
