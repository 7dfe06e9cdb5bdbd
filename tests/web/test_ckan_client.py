"""Prove that the real ckanapi client, and plain HTTP as CKAN users write it, can read Wierde as a CKAN site."""

from __future__ import annotations

from collections.abc import Iterator

import ckanapi
import httpx
import pytest

from tests.helpers import sample_catalog
from tests.helpers.sample_catalog import DRAFT_ID, PUBLISHED
from tests.helpers.server import serve_app
from wierde.app import create_app
from wierde.config import Settings
from wierde.store.repository import Store


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(home=tmp_path_factory.mktemp("ckan-site") / "instance", base_url="https://data.example.nl")
    store = Store.open(settings)
    sample_catalog.fill(store)
    with serve_app(create_app(settings, store)) as url:  # the app's lifespan closes the store
        yield url


@pytest.fixture
def remote(site: str) -> Iterator[ckanapi.RemoteCKAN]:
    with ckanapi.RemoteCKAN(site, user_agent="wierde-tests/1.0") as client:
        yield client


def test_ckanapi_searches_with_words_filters_and_facets(remote: ckanapi.RemoteCKAN) -> None:
    result = remote.action.package_search(q="verkeer", fq="groups:envi", facet_field=["tags", "groups"])
    assert result["count"] == 1
    assert [p["name"] for p in result["results"]] == ["fietspaden"]
    assert {item["name"] for item in result["search_facets"]["tags"]["items"]} == {"verkeer", "fiets"}
    everything = remote.action.package_search(rows=100, facet_field=["organization"])
    assert {p["name"] for p in everything["results"]} == set(PUBLISHED)
    assert "gemeente-veendam" not in everything["facets"]["organization"], "the draft's publisher is not counted"


def test_ckanapi_shows_a_package_and_raises_not_found_for_a_draft_or_missing_one(
        remote: ckanapi.RemoteCKAN) -> None:
    package = remote.action.package_show(id="verkeerstellingen")
    assert package["title"] == "Verkeerstellingen provinciale wegen"
    assert package["resources"][0]["url"].startswith("https://data.example.nl/api/v1/datasets/verkeerstellingen/")
    for hidden in (DRAFT_ID, "bestaat-niet"):
        with pytest.raises(ckanapi.NotFound):
            remote.action.package_show(id=hidden)


def test_ckanapi_lists_packages_organizations_groups_and_licences(remote: ckanapi.RemoteCKAN) -> None:
    assert remote.action.package_list() == sorted(PUBLISHED)
    assert remote.action.organization_list() == ["gemeente-groningen", "provincie-groningen"]
    assert "tran" in remote.action.group_list()
    assert "cc-by" in {lic["id"] for lic in remote.action.license_list()}
    assert remote.action.status_show()["ckan_version"].startswith("2.")


def test_ckanapi_gets_validation_errors_back_as_exceptions(remote: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.ValidationError) as caught:
        remote.action.package_search(rows="abc")
    assert caught.value.error_dict["rows"] == ["Invalid integer"]
    with pytest.raises(ckanapi.SearchError):
        remote.action.package_search(fq="colour:red")


def test_ckanapi_in_get_only_mode_uses_the_query_string(site: str) -> None:
    with ckanapi.RemoteCKAN(site, get_only=True) as client:
        result = client.action.package_search(fq="tags:verkeer", facet_field=["tags"], rows=1)
    assert result["count"] == 2 and len(result["results"]) == 1
    assert result["facets"]["tags"]["verkeer"] == 2


def test_plain_get_on_the_versioned_path_returns_ckans_envelope(site: str) -> None:
    response = httpx.get(f"{site}/api/3/action/package_search",
                         params={"fq": "tags:verkeer", "facet.field": '["groups"]', "rows": 1})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    body = response.json()
    assert body["help"] == "https://data.example.nl/api/3/action/help_show?name=package_search"
    assert body["success"] is True and body["result"]["facets"]["groups"] == {"tran": 2, "envi": 1}


def test_form_posts_and_curl_style_json_posts_are_read(site: str) -> None:
    form = httpx.post(f"{site}/api/3/action/package_show", data={"id": "fietspaden"})
    assert form.json()["result"]["name"] == "fietspaden"
    curl = httpx.post(f"{site}/api/3/action/package_show", content=b'{"id": "fietspaden"}',
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert curl.json()["result"]["name"] == "fietspaden"
    broken = httpx.post(f"{site}/api/3/action/package_show", content=b"[1, 2]",
                        headers={"content-type": "application/json"})
    assert broken.status_code == 400 and broken.json().startswith("Bad request - JSON Error")


def test_http_errors_match_ckan(site: str) -> None:
    unknown = httpx.get(f"{site}/api/3/action/package_create")
    assert (unknown.status_code, unknown.json()) == (400, "Bad request - Action name not known: package_create")
    invalid = httpx.get(f"{site}/api/action/package_search", params={"rows": "abc"})
    assert invalid.status_code == 409
    assert invalid.json()["error"] == {"__type": "Validation Error", "rows": ["Invalid integer"]}
    missing = httpx.get(f"{site}/api/3/action/package_show", params={"id": DRAFT_ID})
    assert missing.status_code == 404
    assert missing.json()["error"] == {"__type": "Not Found Error", "message": "Not found"}


def test_the_ckan_api_stays_out_of_the_openapi_document(site: str) -> None:
    paths = httpx.get(f"{site}/api/v1/openapi.json").json()["paths"]
    assert not [path for path in paths if "/action/" in path]
