"""Prove that the CKAN actions answer in CKAN's shapes and show anonymous callers only published open datasets."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import sample_catalog
from tests.helpers.sample_catalog import DRAFT_ID, PUBLISHED
from wierde.config import Settings
from wierde.protect.access import Principal
from wierde.publish import ckan
from wierde.publish.catalog import Catalog
from wierde.publish.feed import entry_for
from wierde.store.repository import Store

BASE = "https://data.example.nl"
ALL_FACETS = json.dumps(list(ckan.FACET_FIELDS))


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ckan.Context]:
    store = Store.open(Settings(home=tmp_path_factory.mktemp("ckan") / "instance", base_url=BASE))
    sample_catalog.fill(store)
    yield ckan.Context(store, Catalog(store))
    store.close()


def search(ctx: ckan.Context, **data: Any) -> dict[str, Any]:
    return ckan.package_search(ctx, data)


def names(result: dict[str, Any]) -> set[str]:
    return {package["name"] for package in result["results"]}


# -- package_search --------------------------------------------------------------------------------------------
def test_search_without_words_finds_every_published_dataset_and_never_the_draft(ctx: ckan.Context) -> None:
    result = search(ctx)
    assert result["count"] == len(PUBLISHED)
    assert names(result) == set(PUBLISHED)
    assert result["sort"] == "score desc, metadata_modified desc"
    assert result["facets"] == {} and result["search_facets"] == {}, "no facet.field, no facets (as CKAN)"


def test_words_are_matched_in_titles_and_keywords_but_the_draft_stays_hidden(ctx: ckan.Context) -> None:
    result = search(ctx, q="verkeer")
    assert names(result) == {"verkeerstellingen", "fietspaden"}, "the draft has keyword 'verkeer' too"


@pytest.mark.parametrize(("fq", "expected"), [
    ("tags:verkeer", {"verkeerstellingen", "fietspaden"}),
    ('tags:"verkeer"', {"verkeerstellingen", "fietspaden"}),
    ("groups:tran", {"verkeerstellingen", "fietspaden"}),
    ("groups:TRAN", {"verkeerstellingen", "fietspaden"}),
    ("organization:gemeente-groningen", {"inwoners-per-wijk"}),
    ("organization:provincie-groningen", {"verkeerstellingen", "subsidieregelingen", "fietspaden", "oud-bestand"}),
    ("res_format:GeoJSON", {"inwoners-per-wijk"}),
    ("res_format:csv", {"verkeerstellingen", "inwoners-per-wijk", "fietspaden", "oud-bestand"}),
    ("license_id:cc-zero", {"subsidieregelingen", "fietspaden"}),
    ("license_id:CC0-1.0", {"subsidieregelingen", "fietspaden"}),
    ("tags:verkeer AND groups:envi", {"fietspaden"}),
    ("tags:verkeer groups:envi", {"fietspaden"}),
    ("tags:verkeer AND tags:fiets", {"fietspaden"}),
    ("groups:(gove OR soci)", {"subsidieregelingen", "inwoners-per-wijk"}),
    ("groups:gove OR groups:soci", {"subsidieregelingen", "inwoners-per-wijk"}),
    ("-groups:tran", {"inwoners-per-wijk", "subsidieregelingen", "oud-bestand"}),
    ("tags:verk*", {"verkeerstellingen", "fietspaden"}),
    ("+dataset_type:dataset +capacity:public", set(PUBLISHED)),
    ("metadata_modified:[2000-01-01T00:00:00Z TO *]", set(PUBLISHED)),
    ("metadata_modified:[* TO 2000-01-01]", set()),
])
def test_fq_filters_as_ckan_clients_write_them(ctx: ckan.Context, fq: str, expected: set[str]) -> None:
    assert names(search(ctx, fq=fq, rows=100)) == expected


def test_field_terms_also_work_in_q(ctx: ckan.Context) -> None:
    assert names(search(ctx, q="tags:fiets")) == {"fietspaden"}
    assert names(search(ctx, q="*:*")) == set(PUBLISHED)
    assert names(search(ctx, q="title:fietspaden")) == {"fietspaden"}, "text fields go to the full-text index"


@pytest.mark.parametrize(("fq", "error"), [
    ("colour:red", ckan.SearchError),
    ("groups:(tran OR", ckan.SearchQueryError),
    ("tags:[a TO b]", ckan.SearchQueryError),
    ("groups:(tran OR gove AND envi)", ckan.SearchQueryError),
])
def test_filters_it_cannot_honour_are_refused_rather_than_ignored(ctx: ckan.Context, fq: str,
                                                                  error: type[Exception]) -> None:
    with pytest.raises(error):
        search(ctx, fq=fq)


def test_facets_count_only_matching_datasets_that_may_be_seen(ctx: ckan.Context) -> None:
    result = search(ctx, **{"facet.field": ALL_FACETS})
    facets = result["facets"]
    assert facets["tags"]["verkeer"] == 2, "the draft's keyword is not counted"
    assert "concept-geheim" not in facets["tags"]
    assert set(facets["organization"]) == {"provincie-groningen", "gemeente-groningen"}, "no draft publisher"
    assert facets["groups"]["tran"] == 2
    assert facets["license_id"] == {"cc-by": 2, "cc-zero": 2, "notspecified": 1}
    assert facets["res_format"]["GeoJSON"] == 1
    narrowed = search(ctx, fq="groups:tran", **{"facet.field": ALL_FACETS})["facets"]
    assert narrowed["groups"] == {"tran": 2, "envi": 1}


def test_search_facets_carry_display_names_sorted_like_ckan(ctx: ckan.Context) -> None:
    groups = search(ctx, **{"facet.field": '["groups", "license_id"]'})["search_facets"]
    assert groups["groups"]["title"] == "groups"
    items = groups["groups"]["items"]
    assert {"name": "tran", "display_name": "Vervoer", "count": 2} in items
    shown = [item["display_name"] for item in items]
    assert shown == sorted(shown, reverse=True)
    licences = {item["name"]: item["display_name"] for item in groups["license_id"]["items"]}
    assert licences["cc-zero"] == "Creative Commons CC0 1.0 Universeel"


def test_facet_field_may_be_a_list_and_facet_limit_keeps_the_most_frequent(ctx: ckan.Context) -> None:
    result = search(ctx, facet_field=["tags"], facet_limit=1)
    assert result["facets"] == {"tags": {"verkeer": 2}}
    assert search(ctx, facet_field=["tags"], **{"facet.limit": -1})["facets"]["tags"]["wijken"] == 1


def test_rows_and_start_page_through_results_and_rows_is_capped(ctx: ckan.Context) -> None:
    ordered = sorted(PUBLISHED)
    page = search(ctx, sort="name asc", rows=2, start=1)
    assert [p["name"] for p in page["results"]] == ordered[1:3]
    assert page["count"] == len(PUBLISHED)
    assert search(ctx, rows=0)["results"] == []
    assert len(search(ctx, rows=5000)["results"]) == len(PUBLISHED), "over the maximum is capped, not refused"
    assert search(ctx)["count"] == len(PUBLISHED) and len(search(ctx, rows="2")["results"]) == 2


def test_unreadable_numbers_are_validation_errors_naming_each_parameter(ctx: ckan.Context) -> None:
    with pytest.raises(ckan.ValidationError) as caught:
        search(ctx, rows="abc", start="-1")
    assert caught.value.errors == {"rows": ["Invalid integer"], "start": ["Must be a natural number"]}


def test_sorts_ckan_clients_use(ctx: ckan.Context) -> None:
    def order(**data: Any) -> list[str]:
        return [p["name"] for p in search(ctx, rows=100, **data)["results"]]

    by_title = order(sort="title_string asc")
    titles = [ckan.package_show(ctx, {"id": n})["title"].casefold() for n in by_title]
    assert titles == sorted(titles)
    assert order(sort="title_string desc") == by_title[::-1]
    assert order(sort="metadata_modified desc") == list(reversed(PUBLISHED)), "newest publication first"
    assert order() == list(reversed(PUBLISHED)), "without words the default sort falls to metadata_modified"
    assert order(sort="name asc") == sorted(PUBLISHED)
    with pytest.raises(ckan.SearchError):
        order(sort="colour desc")


def test_staff_see_drafts_only_when_they_ask_and_anonymous_never(ctx: ckan.Context) -> None:
    steward = ckan.Context(ctx.store, ctx.catalog, Principal(kind="steward", name="sam"))
    assert DRAFT_ID not in names(ckan.package_search(steward, {"rows": 100}))
    assert DRAFT_ID in names(ckan.package_search(steward, {"rows": 100, "include_drafts": "true"}))
    assert ckan.package_show(steward, {"id": DRAFT_ID})["state"] == "draft"
    assert DRAFT_ID not in names(search(ctx, rows=100, include_drafts=True))


# -- package_show, resource_show -------------------------------------------------------------------------------
def test_package_show_gives_a_ckan_package(ctx: ckan.Context) -> None:
    package = ckan.package_show(ctx, {"id": "verkeerstellingen"})
    assert package["title"] == "Verkeerstellingen provinciale wegen"
    assert package["title_translated"] == {"nl": "Verkeerstellingen provinciale wegen",
                                           "en": "Traffic counts on provincial roads"}
    assert package["notes_translated"]["en"] == "Motor vehicles per hour at counting points."
    assert (package["state"], package["private"], package["type"]) == ("active", False, "dataset")
    assert (package["license_id"], package["license_url"]) == ("cc-by", "http://creativecommons.org/licenses/by/4.0/deed.nl")
    assert package["maintainer_email"] == package["author_email"] == "data@provinciegroningen.nl"
    assert package["organization"]["name"] == package["owner_org"] == "provincie-groningen"
    assert [g["name"] for g in package["groups"]] == ["tran"]
    assert [t["name"] for t in package["tags"]] == ["verkeer", "telling"] and package["num_tags"] == 2
    assert {r["format"] for r in package["resources"]} == {"CSV", "JSON", "PARQUET", "XLSX"}
    assert package["num_resources"] == 4
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", package["metadata_modified"]), "CKAN: no offset"
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["identifier"] == f"{BASE}/datasets/verkeerstellingen#dataset"
    assert extras["title_en"] == "Traffic counts on provincial roads"
    assert extras["temporal_start"] == "2024-01-01" and extras["frequency"].endswith("/MONTHLY")
    assert extras["spatial_uri"] == "http://sws.geonames.org/2755249/"


def test_geometry_datasets_also_offer_geojson_and_geopackage(ctx: ckan.Context) -> None:
    formats = {r["format"] for r in ckan.package_show(ctx, {"id": "inwoners-per-wijk"})["resources"]}
    assert {"GeoJSON", "GPKG"} <= formats


def test_resource_urls_are_the_download_urls_of_the_dcat_feed(ctx: ckan.Context) -> None:
    dataset = ctx.store.dataset("verkeerstellingen")
    entry = entry_for(ctx.settings, dataset, ctx.store.version("verkeerstellingen"))
    assert entry is not None
    package = ckan.package_show(ctx, {"id": "verkeerstellingen"})
    assert {r["url"] for r in package["resources"]} == {d.download_url for d in entry.distributions}


def test_metadata_that_does_not_validate_still_shows_its_title(ctx: ckan.Context) -> None:
    package = ckan.package_show(ctx, {"id": "oud-bestand"})
    assert package["title"] == "Oud bestand"
    assert (package["groups"], package["license_id"]) == ([], "notspecified")


def test_drafts_and_missing_datasets_are_equally_not_found(ctx: ckan.Context) -> None:
    for missing in (DRAFT_ID, "bestaat-niet"):
        with pytest.raises(ckan.NotFound):
            ckan.package_show(ctx, {"id": missing})
        with pytest.raises(ckan.NotFound):
            ckan.resource_show(ctx, {"id": f"{missing}.csv"})
    draft = ckan.dispatch(ctx, "package_show", {"id": DRAFT_ID})
    missing = ckan.dispatch(ctx, "package_show", {"id": "bestaat-niet"})
    assert draft.status == missing.status == 404
    assert draft.body["error"] == missing.body["error"] == {"__type": "Not Found Error", "message": "Not found"}


def test_resource_show_finds_a_download_by_its_id(ctx: ckan.Context) -> None:
    resource = ckan.resource_show(ctx, {"id": "inwoners-per-wijk.geojson"})
    assert (resource["format"], resource["mimetype"]) == ("GeoJSON", "application/geo+json")
    assert resource["package_id"] == "inwoners-per-wijk"
    with pytest.raises(ckan.NotFound):
        ckan.resource_show(ctx, {"id": "verkeerstellingen.geojson"})  # no geometry, so no GeoJSON


# -- lists -----------------------------------------------------------------------------------------------------
def test_package_list_names_published_datasets_in_pages(ctx: ckan.Context) -> None:
    assert ckan.package_list(ctx, {}) == sorted(PUBLISHED)
    assert ckan.package_list(ctx, {"limit": "2", "offset": "1"}) == sorted(PUBLISHED)[1:3]
    with pytest.raises(ckan.ValidationError):
        ckan.package_list(ctx, {"limit": "veel"})


def test_organizations_are_the_publishers_of_what_may_be_seen(ctx: ckan.Context) -> None:
    assert ckan.organization_list(ctx, {}) == ["gemeente-groningen", "provincie-groningen"]
    counts = {o["name"]: o["package_count"] for o in ckan.organization_list(ctx, {"all_fields": "true"})}
    assert counts == {"gemeente-groningen": 1, "provincie-groningen": 4}
    assert ckan.organization_list(ctx, {"sort": "package_count"})[0] == "provincie-groningen"
    by_uri = ckan.organization_show(ctx, {"id": "https://identifier.overheid.nl/tooi/id/gemeente/gm0014"})
    assert by_uri["title"] == "Gemeente Groningen"
    shown = ckan.organization_show(ctx, {"id": "gemeente-groningen", "include_datasets": True})
    assert [p["name"] for p in shown["packages"]] == ["inwoners-per-wijk"]
    with pytest.raises(ckan.NotFound):
        ckan.organization_show(ctx, {"id": "gemeente-veendam"})  # publishes only the draft


def test_groups_are_the_eu_data_themes(ctx: ckan.Context) -> None:
    groups = ckan.group_list(ctx, {})
    assert len(groups) == 14 and "tran" in groups
    counts = {g["name"]: g["package_count"] for g in ckan.group_list(ctx, {"all_fields": True})}
    assert counts["tran"] == 2 and counts["heal"] == 0
    tran = ckan.group_show(ctx, {"id": "TRAN"})
    assert (tran["title"], tran["package_count"]) == ("Vervoer", 2)
    with pytest.raises(ckan.NotFound):
        ckan.group_show(ctx, {"id": "nope"})


def test_tag_list_holds_only_keywords_of_published_datasets(ctx: ckan.Context) -> None:
    tags = ckan.tag_list(ctx, {})
    assert "verkeer" in tags and "concept-geheim" not in tags
    assert ckan.tag_list(ctx, {"query": "fie"}) == ["fiets"]


def test_license_list_uses_ckan_ids_with_urls_and_open_definition_status(ctx: ckan.Context) -> None:
    licences = {lic["id"]: lic for lic in ckan.license_list(ctx, {})}
    assert {"cc-by", "cc-zero", "odc-odbl", "notspecified"} <= set(licences)
    assert licences["cc-by"]["url"] == "http://creativecommons.org/licenses/by/4.0/deed.nl"
    assert licences["cc-by"]["od_conformance"] == "approved"
    assert licences["cc-nc"]["od_conformance"] == "not reviewed"


def test_status_show_reports_a_ckan_version_clients_accept(ctx: ckan.Context) -> None:
    status = ckan.status_show(ctx, {})
    assert status["ckan_version"].startswith("2.") and status["site_url"] == BASE


# -- envelope and errors ---------------------------------------------------------------------------------------
def test_results_come_in_ckans_envelope_with_a_help_link(ctx: ckan.Context) -> None:
    reply = ckan.dispatch(ctx, "package_list", {})
    assert reply.status == 200
    assert reply.body == {"help": f"{BASE}/api/3/action/help_show?name=package_list", "success": True,
                          "result": sorted(PUBLISHED)}
    assert ckan.dispatch(ctx, "help_show", {"name": "package_search"}).body["result"].startswith("Search datasets")


@pytest.mark.parametrize(("action", "data", "status", "kind"), [
    ("package_search", {"rows": "abc"}, 409, "Validation Error"),
    ("package_show", {}, 409, "Validation Error"),
    ("package_search", {"fq": "colour:red"}, 409, "Search Error"),
    ("package_search", {"fq": "groups:(tran OR"}, 400, "Search Query Error"),
    ("group_show", {"id": "nope"}, 404, "Not Found Error"),
])
def test_errors_have_ckans_types_and_status_codes(ctx: ckan.Context, action: str, data: dict[str, Any],
                                                  status: int, kind: str) -> None:
    reply = ckan.dispatch(ctx, action, data)
    assert (reply.status, reply.body["success"], reply.body["error"]["__type"]) == (status, False, kind)


def test_an_unknown_action_is_a_bad_request_as_in_ckan(ctx: ckan.Context) -> None:
    reply = ckan.dispatch(ctx, "package_create", {})
    assert (reply.status, reply.body) == (400, "Bad request - Action name not known: package_create")


def test_query_parsing_separates_words_from_filters() -> None:
    query = ckan.parse_query("verkeer fiets", "+tags:a groups:(b OR c) -organization:d")
    assert query.text == "verkeer fiets"
    assert query.clauses == (
        (ckan.Atom("tags", "a"),),
        (ckan.Atom("groups", "b"), ckan.Atom("groups", "c")),
        (ckan.Atom("organization", "d", negated=True),),
    )
