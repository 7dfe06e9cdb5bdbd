"""Prove that the ckan connector harvests one package of another CKAN portal: its metadata as DCAT-AP-NL fields and
the data of the chosen resource, found by id, by URL or by a paged search.

Two kinds of portal answer: a small CKAN written here in the shapes of CKAN 2.10's action API (package_show,
package_search with rows/start; the envelope with success/result/error) as Dutch portals fill it, and a real Wierde
instance serving its own CKAN-compatible API on 127.0.0.1, harvested end to end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from copy import deepcopy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import sample_catalog
from tests.helpers.replay import Reply, Served, misbehaving_server
from wierde import hookspecs
from wierde.catalog.model import DatasetMetadata
from wierde.collect.connectors.ckan import CkanPackage, portal_and_query
from wierde.collect.harvest import Source, harvest
from wierde.collect.http import Fetcher, HarvestError
from wierde.errors import InvalidInput
from wierde.store.repository import Store

CSV = b"jaar,gemeente_code,ongevallen\n2023,GM0014,412\n2023,GM1966,58\n2023,GM1979,61\n"
GEOJSON = json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"jaar": 2023, "ongevallen": 412},
     "geometry": {"type": "Point", "coordinates": [6.566, 53.219]}}]}).encode()
PACKAGE_ID = "5b3f4c1e-8f0d-4c7a-9a55-1d2e3f4a5b6c"


def package(base: str, **changes: Any) -> dict[str, Any]:
    """A package as CKAN's package_show returns it, filled the way Dutch portals fill it (ckanext-dcat extras)."""
    found = {
        "id": PACKAGE_ID, "name": "verkeersongevallen-provincie-groningen", "type": "dataset", "state": "active",
        "title": "Verkeersongevallen provincie Groningen",
        "notes": "Geregistreerde verkeersongevallen per gemeente en jaar.",
        "license_id": "cc-by", "license_title": "Creative Commons Attribution",
        "license_url": "http://www.opendefinition.org/licenses/cc-by",
        "metadata_created": "2021-03-04T10:11:12.123456", "metadata_modified": "2024-05-06T07:08:09.000001",
        "maintainer": "Team Verkeersveiligheid", "maintainer_email": "verkeer@example.nl",
        "author": None, "author_email": None, "url": "", "version": None, "private": False,
        "organization": {"id": "0f1e", "name": "provincie-groningen", "title": "Provincie Groningen",
                         "type": "organization", "is_organization": True, "state": "active"},
        "owner_org": "0f1e",
        "tags": [{"id": "t1", "name": "verkeer", "display_name": "verkeer", "state": "active"},
                 {"id": "t2", "name": "ongevallen", "display_name": "ongevallen", "state": "active"}],
        "groups": [],
        "extras": [
            {"key": "frequency", "value": "http://publications.europa.eu/resource/authority/frequency/ANNUAL"},
            {"key": "spatial_uri", "value": "http://sws.geonames.org/2755249/"},
            {"key": "temporal_start", "value": "2019-01-01"}, {"key": "temporal_end", "value": "2023-12-31"},
            {"key": "theme", "value": '["http://publications.europa.eu/resource/authority/data-theme/TRAN"]'},
            {"key": "language", "value": '["http://publications.europa.eu/resource/authority/language/NLD"]'},
        ],
        "resources": [
            {"id": "r-pdf", "name": "Toelichting", "format": "PDF", "url": f"{base}/files/toelichting.pdf",
             "state": "active"},
            {"id": "r-geojson", "name": "Ongevallen (GeoJSON)", "format": "GeoJSON", "mimetype": None,
             "url": f"{base}/files/ongevallen.geojson", "state": "active"},
            {"id": "r-csv", "name": "Ongevallen (CSV)", "format": "CSV", "mimetype": "text/csv",
             "url": f"{base}/files/ongevallen.csv", "state": "active"},
            {"id": "r-old", "name": "Oud", "format": "CSV", "url": f"{base}/files/oud.csv", "state": "deleted"},
        ],
        "num_resources": 4, "num_tags": 2,
    }
    return {**found, **changes}


def envelope(action: str, result: Any) -> bytes:
    return json.dumps({"help": f"https://ckan.example.nl/api/3/action/help_show?name={action}", "success": True,
                       "result": result}).encode()


class Portal:
    """A CKAN portal under /data: package_show by id or name, package_search paged by rows and start."""

    def __init__(self) -> None:
        self.served: Served | None = None
        self.packages: list[dict[str, Any]] = []
        self.asked: list[dict[str, str]] = []
        self.ignore_start = False

    @property
    def base(self) -> str:
        assert self.served is not None
        return self.served.base

    def behave(self, path: str) -> Reply | None:
        parts = urlsplit(path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/files/ongevallen.csv":
            return Reply(body=CSV, content_type="text/csv")
        if parts.path == "/files/ongevallen.geojson":
            return Reply(body=GEOJSON, content_type="application/geo+json")
        if parts.path == "/data/api/3/action/package_show":
            self.asked.append(query)
            found = [p for p in self.packages if query.get("id") in (p["id"], p["name"])]
            if not found:
                error = {"help": "…", "success": False, "error": {"__type": "Not Found Error", "message": "Not found"}}
                return Reply(404, body=json.dumps(error).encode())
            return Reply(body=envelope("package_show", found[0]))
        if parts.path == "/data/api/3/action/package_search":
            self.asked.append(query)
            words = query.get("q", "").split()
            hits = sorted((p for p in self.packages if all(w in json.dumps(p) for w in words)
                           and (not query.get("fq") or query["fq"].split(":", 1)[1] in p["name"])),
                          key=lambda p: p["name"])
            start = 0 if self.ignore_start else int(query.get("start", 0))
            page = hits[start:start + int(query.get("rows", 10))]
            return Reply(body=envelope("package_search", {"count": len(hits), "results": page, "sort": "name asc",
                                                          "facets": {}, "search_facets": {}}))
        return None


@pytest.fixture
def portal() -> Iterator[Portal]:
    state = Portal()
    with misbehaving_server(state.behave) as served:
        state.served = served
        state.packages = [package(served.base)]
        yield state


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(timeout=5, retries=0, deadline_seconds=30) as client:
        yield client


def quick(_: Source) -> Fetcher:
    return Fetcher(timeout=5, retries=0, deadline_seconds=30)


# --- one package by id ----------------------------------------------------------------------------------------

def test_a_package_becomes_a_dataset_with_its_metadata_and_the_csv(portal: Portal, store: Store) -> None:
    source = Source(id="ongevallen", connector="ckan", url=f"{portal.base}/data", dataset="ongevallen",
                    params={"id": "verkeersongevallen-provincie-groningen"})
    record = harvest(store, source, fetcher=quick)

    assert (record.outcome, record.stats["rows"], record.stats["remote_id"]) == ("new-version", 3, PACKAGE_ID)
    assert [f["name"] for f in store.version("ongevallen").fields][:3] == ["jaar", "gemeente_code", "ongevallen"]
    meta = DatasetMetadata.from_mapping(store.dataset("ongevallen").meta)
    assert meta.title == {"nl": "Verkeersongevallen provincie Groningen"}
    assert meta.description == {"nl": "Geregistreerde verkeersongevallen per gemeente en jaar."}
    assert meta.keywords == {"nl": ["verkeer", "ongevallen"]}
    assert (meta.publisher.uri, meta.publisher.name) == (f"{portal.base}/data/organization/provincie-groningen",
                                                         "Provincie Groningen")
    assert meta.licence == "CC-BY-4.0"
    assert (str(meta.modified), str(meta.issued)) == ("2024-05-06", "2021-03-04")
    assert (meta.themes, meta.spatial, meta.language) == (["TRAN"], ["PV20"], ["nl"])
    assert (str(meta.temporal.start), str(meta.temporal.end)) == ("2019-01-01", "2023-12-31")
    assert meta.accrual_periodicity == "annual"
    assert meta.contact_point.email == "verkeer@example.nl"
    assert meta.source == f"{portal.base}/data/dataset/verkeersongevallen-provincie-groningen"


def test_a_renamed_package_feeds_the_same_dataset_without_a_new_version(portal: Portal, store: Store) -> None:
    source = Source(id="ongevallen", connector="ckan", url=f"{portal.base}/data", dataset="ongevallen",
                    params={"id": PACKAGE_ID})
    first = harvest(store, source, fetcher=quick)
    portal.packages = [package(portal.base, name="ongevallen-groningen-provincie", title="Ongevallen (nieuwe naam)")]
    second = harvest(store, source, fetcher=quick)
    assert (first.stats["remote_id"], second.stats["remote_id"]) == (PACKAGE_ID, PACKAGE_ID)
    assert (second.outcome, second.version) == ("unchanged", 1)
    assert store.dataset("ongevallen").meta["title"] == {"nl": "Verkeersongevallen provincie Groningen"}, (
        "a steward's metadata is never overwritten by a later harvest")


@pytest.mark.parametrize("path", [
    "/data/dataset/verkeersongevallen-provincie-groningen",
    f"/data/api/3/action/package_show?id={PACKAGE_ID}",
])
def test_a_package_page_or_action_url_names_the_package(portal: Portal, fetcher, tmp_path, path) -> None:
    result = CkanPackage().harvest(fetcher, portal.base + path, {}, tmp_path)
    assert result.remote_id == PACKAGE_ID and result.format == "csv"


def test_the_url_forms_give_the_portal_base_and_what_they_ask() -> None:
    assert portal_and_query("https://data.overheid.nl/data/") == ("https://data.overheid.nl/data", {})
    assert portal_and_query("https://data.overheid.nl/data/dataset/ongevallen%202023") == (
        "https://data.overheid.nl/data", {"id": "ongevallen 2023"})
    assert portal_and_query("https://ckan.example.nl/api/3/action/package_search?q=verkeer&fq=tags:weg&rows=5") == (
        "https://ckan.example.nl", {"q": "verkeer", "fq": "tags:weg"})
    with pytest.raises(InvalidInput, match="not an http"):
        portal_and_query("ftp://ckan.example.nl")


# --- which resource -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("resource", "fmt"), [(None, "csv"), ("geojson,csv", "geojson"), ("r-geojson", "geojson"),
                                               ("Ongevallen (CSV)", "csv")])
def test_the_resource_param_picks_by_format_preference_id_or_name(portal, fetcher, tmp_path, resource, fmt) -> None:
    params = {"id": PACKAGE_ID, **({"resource": resource} if resource else {})}
    result = CkanPackage().harvest(fetcher, f"{portal.base}/data", params, tmp_path)
    assert result.format == fmt
    assert result.data.read_bytes() == (CSV if fmt == "csv" else GEOJSON)


def test_a_missing_resource_or_format_is_refused_with_what_there_is(portal, fetcher, tmp_path) -> None:
    with pytest.raises(InvalidInput, match=r"no distribution 'r-xlsx'; it has .*r-csv"):
        CkanPackage().harvest(fetcher, f"{portal.base}/data", {"id": PACKAGE_ID, "resource": "r-xlsx"}, tmp_path)
    with pytest.raises(HarvestError, match=r"no distribution in xlsx \(it offers csv, geojson, unknown\)"):
        CkanPackage().harvest(fetcher, f"{portal.base}/data", {"id": PACKAGE_ID, "resource": "xlsx"}, tmp_path)
    assert not any("oud.csv" in hit for hit in portal.served.hits), "a deleted resource is never fetched"


# --- search ---------------------------------------------------------------------------------------------------

def three_packages(portal: Portal) -> None:
    portal.packages = [
        package(portal.base, id=f"id-{year}", name=f"verkeersongevallen-{year}", title=f"Verkeersongevallen {year}",
                metadata_modified=f"{year + 1}-02-01T00:00:00")
        for year in (2021, 2023, 2022)]


def test_a_search_reads_every_page_then_takes_the_newest_when_asked(portal, fetcher, tmp_path) -> None:
    three_packages(portal)
    params = {"q": "verkeersongevallen", "rows": "2", "select": "newest"}
    result = CkanPackage().harvest(fetcher, f"{portal.base}/data", params, tmp_path)
    assert result.remote_id == "id-2023" and result.stats["pages"] == 2
    starts = [(q["start"], q["rows"], q["sort"]) for q in portal.asked]
    assert starts == [("0", "2", "name asc"), ("2", "2", "name asc")]


def test_a_search_finding_several_packages_needs_narrowing(portal, fetcher, tmp_path) -> None:
    three_packages(portal)
    with pytest.raises(InvalidInput, match=r"finds 3 packages \(verkeersongevallen-2021, .*set select=newest"):
        CkanPackage().harvest(fetcher, f"{portal.base}/data", {"q": "verkeersongevallen"}, tmp_path)
    one = CkanPackage().harvest(fetcher, f"{portal.base}/data", {"fq": "name:2022"}, tmp_path)
    assert one.remote_id == "id-2022"
    with pytest.raises(HarvestError, match="the search finds no package"):
        CkanPackage().harvest(fetcher, f"{portal.base}/data", {"q": "fietsen"}, tmp_path)


def test_a_server_that_ignores_start_is_caught_looping(portal, fetcher, tmp_path) -> None:
    three_packages(portal)
    portal.ignore_start = True
    with pytest.raises(HarvestError, match=r"page at start=2 repeats packages already read; the server loops"):
        CkanPackage().harvest(fetcher, f"{portal.base}/data", {"q": "verkeersongevallen", "rows": "2"}, tmp_path)


# --- errors ---------------------------------------------------------------------------------------------------

def test_unknown_packages_params_and_non_ckan_answers_fail_clearly(portal, fetcher, tmp_path) -> None:
    with pytest.raises(HarvestError, match=r"/data/api/3/action/package_show: HTTP 404"):
        CkanPackage().harvest(fetcher, f"{portal.base}/data", {"id": "bestaat-niet"}, tmp_path)
    with pytest.raises(InvalidInput, match=r"unknown params \['package'\]"):
        CkanPackage().harvest(fetcher, f"{portal.base}/data", {"package": "x"}, tmp_path)
    with pytest.raises(InvalidInput, match="name a package"):
        CkanPackage().harvest(fetcher, f"{portal.base}/data", {}, tmp_path)


@pytest.mark.parametrize(("answer", "message"), [
    ({"help": "…", "success": False, "error": {"__type": "Authorization Error", "message": "Access denied"}},
     "CKAN says .*Access denied"),
    ({"value": []}, "not a CKAN action API answer"),
    ({"help": "…", "success": True, "result": ["verkeer"]}, "the answer holds no package"),
])
def test_answers_that_are_not_a_package_are_reported(tmp_path, answer, message) -> None:
    with misbehaving_server(lambda _: Reply(body=json.dumps(answer).encode())) as served, \
            Fetcher(timeout=5, retries=0) as fetcher, pytest.raises(HarvestError, match=message):
        CkanPackage().harvest(fetcher, f"{served.base}/x", {"id": "geheim"}, tmp_path)


def test_odd_metadata_is_left_out_but_the_data_still_arrives(portal, fetcher, tmp_path) -> None:
    odd = package(portal.base, license_id="licentie-onbekend", license_url="", maintainer_email="geen adres",
                  extras=[{"key": "frequency", "value": "elke maan"}])
    portal.packages = [odd]
    result = CkanPackage().harvest(fetcher, f"{portal.base}/data", {"id": PACKAGE_ID}, tmp_path)
    assert "contact_point" not in result.metadata and "accrual_periodicity" not in result.metadata
    assert "licence" not in result.metadata
    assert result.stats["metadata_dropped"] == 2
    DatasetMetadata.from_mapping(result.metadata)


# --- end to end: Wierde's own CKAN API as the other portal --------------------------------------------------




@pytest.mark.slow  # starts a whole portal (the app's imports and a filled catalogue): seconds on a busy machine
def test_a_package_of_another_wierde_portal_arrives_with_its_metadata_intact(wierde_portal: str,
                                                                             store: Store) -> None:
    source = Source(id="tellingen", connector="ckan", url=f"{wierde_portal}/dataset/verkeerstellingen",
                    dataset="tellingen-elders")
    record = harvest(store, source, fetcher=quick)

    assert (record.outcome, record.stats["rows"]) == ("new-version", 5)
    meta = DatasetMetadata.from_mapping(store.dataset("tellingen-elders").meta)
    expected = deepcopy(sample_catalog.TRAFFIC)
    assert meta.title == expected["title"] and meta.description == expected["description"]
    assert meta.publisher.uri == "https://identifier.overheid.nl/tooi/id/provincie/pv20"
    assert (meta.licence, meta.themes, meta.spatial, meta.accrual_periodicity, meta.language) == (
        "CC-BY-4.0", ["TRAN"], ["PV20"], "monthly", ["nl"])
    assert (str(meta.temporal.start), str(meta.temporal.end), str(meta.issued)) == (
        "2024-01-01", "2024-12-31", "2024-03-01")
    assert meta.contact_point.email == "data@provinciegroningen.nl"


def test_the_connector_is_registered_by_name() -> None:
    assert isinstance(hookspecs.connector("ckan"), CkanPackage)


def test_the_ckan_rows_param_is_checked(tmp_path: Path) -> None:
    with Fetcher() as fetcher, pytest.raises(InvalidInput, match="rows must be a whole number from 1 to 1000"):
        CkanPackage().harvest(fetcher, "https://ckan.example.nl", {"q": "x", "rows": "0"}, tmp_path)
