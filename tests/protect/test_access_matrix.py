"""The authorisation matrix: every door × every role × every kind of dataset, over real HTTP, fails on any leak.

Each dataset carries a marker value that occurs nowhere else. For every role the expected outcome is written out
by hand below (not computed by the access function under test): a door either serves the marker or must not show
the marker, nor (for hidden datasets) the dataset's id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.helpers.server import serve_app
from wierde.app import create_app
from wierde.collect.ingest import ingest
from wierde.config import Settings
from wierde.protect import accounts, audit, tokens
from wierde.protect.access import OPERATOR
from wierde.protect.classify import set_access
from wierde.store.repository import Store

PURPOSE = "toezicht op verkeersveiligheid"
PASSWORD = "een lang wachtwoord 123"
POINT = "54.0,53.2"  # inside every dataset's bounding box: the marker rows are points there

# dataset id -> (classification, access rules, status)
DATASETS = {
    "open-data": ("open", {}, "published"),
    "concept": ("open", {}, "draft"),
    "intern": ("restricted", {"scope": "verkeer", "reason": "5.1.2d"}, "published"),
    "geheim": ("non-public", {"scope": "handhaving", "reason": "5.1.2c", "hide_existence": True}, "published"),
    "teruggetrokken": ("open", {}, "withdrawn"),
}
COLUMN_RULE = {"columns": {"kenteken": {"scope": "kenteken", "reason": "5.1.2e"}}}  # on "open-data"
SECRET_PLATE = "ZZ-999-Q"

# role -> datasets it may read (hand-written, the contract), and whether it sees the withheld plate column
ROLES: dict[str, tuple[set[str], bool]] = {
    "anonymous": ({"open-data"}, False),
    "employee": ({"open-data", "concept"}, False),
    "employee-verkeer": ({"open-data", "concept", "intern"}, False),
    "token-verkeer": ({"open-data", "intern"}, False),
    "token-kenteken": ({"open-data"}, True),
    "steward": ({"open-data", "concept", "intern", "geheim"}, True),
    "admin": ({"open-data", "concept", "intern", "geheim", "teruggetrokken"}, True),
}


def marker(dataset_id: str) -> str:
    return f"MARKER-{dataset_id.upper()}"


@dataclass
class World:
    base: str
    store: Store
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("matrix")
    settings = Settings(home=home / "instance", scheduler=False)
    store = Store.open(settings)
    for dataset_id, (classification, rules, status) in DATASETS.items():
        source = home / f"{dataset_id}.geojson"
        source.write_text(geojson(dataset_id), encoding="utf-8")
        ingest(store, source, dataset_id, meta={"title": f"Titel {dataset_id}", "description": "Testgegevens."})
        set_access(store, OPERATOR, dataset_id, classification, rules)
        if status != "draft":
            store.set_status(dataset_id, status)
    set_access(store, OPERATOR, "open-data", "open", COLUMN_RULE)
    staff = [("employee", "employee", []), ("employee-verkeer", "employee", ["verkeer"]),
             ("steward", "steward", []), ("admin", "admin", [])]
    for name, role, scopes in staff:
        accounts.create(store, name, role=role, scopes=scopes, password=PASSWORD)
    accounts.create(store, "koppeling", role="employee", scopes=["verkeer", "kenteken"])
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for name, scope in [("token-verkeer", "verkeer"), ("token-kenteken", "kenteken")]:
        _, text = tokens.create(store, "koppeling", scopes=[scope], expires_in=timedelta(days=1))
        headers[name] = {"Authorization": f"Bearer {text}", "X-Purpose": PURPOSE}
    with serve_app(create_app(settings, store)) as url:
        for name, _role, _scopes in staff:
            headers[name] = signed_in(url, name)  # the purpose was given at sign-in
        yield World(url, store, headers)


def geojson(dataset_id: str) -> str:
    plate = SECRET_PLATE if dataset_id == "open-data" else "AB-12-CD"  # only open-data withholds the column
    props = f'"naam": "{marker(dataset_id)}", "kenteken": "{plate}", "snelheid": 61'
    return ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {' + props + '}, '
            '"geometry": {"type": "Point", "coordinates": [6.56, 53.21]}}]}')


def signed_in(base: str, username: str) -> dict[str, str]:
    """Sign in through the real form (CSRF token and all) and return the session cookie as a header."""
    with httpx.Client(base_url=base) as client:
        form = client.get("/aanmelden").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token, "the sign-in form carries a CSRF token"
        answer = client.post("/aanmelden", data={"csrf_token": token.group(1), "username": username,
                                                 "password": PASSWORD, "purpose": PURPOSE}, follow_redirects=False)
        assert answer.status_code in (302, 303), answer.text
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}


DOORS = [
    "/api/v1/datasets/{id}",
    "/api/v1/datasets/{id}/rows",
    "/api/v1/datasets/{id}/rows?format=csv",
    "/api/v1/datasets/{id}/aggregate?groupBy=naam",
    "/api/v1/datasets/{id}/download?format=csv",
    "/api/v1/datasets/{id}/download?format=geojson",
    "/api/v1/datasets/{id}/versions",
    "/api/v1/datasets/{id}/versions/1/rows",
    "/api/v1/datasets/{id}/metadata",
    "/api/v1/datasets/{id}/map?zoom=14",
    "/ogc/collections/{id}",
    "/ogc/collections/{id}/items?f=json",
    "/ogc/collections/{id}/items/0?f=json",
    "/api/3/action/package_show?id={id}",
    "/datasets/{id}",
]
LISTINGS = [
    "/api/v1/datasets",
    "/ogc/collections?f=json",
    "/api/3/action/package_list",
    "/api/3/action/package_search?q=Titel",
    "/catalog.ttl",
    "/catalog.jsonld",
    "/datasets?q=Titel",
    "/api/v1/views",
]
DATA_DOORS = [d for d in DOORS if not d.endswith("{id}") and "metadata" not in d and "package_show" not in d
              and d[-9:] != "/versions"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("door", DOORS)
def test_every_door_serves_exactly_what_each_role_may_read(world: World, role: str, door: str) -> None:
    readable, sees_plate = ROLES[role]
    for dataset_id in DATASETS:
        answer = httpx.get(world.base + door.format(id=dataset_id), headers=world.headers[role], timeout=30)
        body = answer.text
        where = f"{role} at {door.format(id=dataset_id)}"
        if dataset_id in readable:
            assert answer.status_code == 200, f"{where}: {answer.status_code} {body[:300]}"
            if door in DATA_DOORS:
                assert marker(dataset_id) in body, f"{where}: the data is missing"
        else:
            assert answer.status_code in (401, 403, 404), f"{where}: {answer.status_code} leaks"
            assert marker(dataset_id) not in body, f"{where}: the data leaks in a refusal"
        if not sees_plate:
            assert SECRET_PLATE not in body, f"{where}: the withheld column leaks"
            assert "kenteken" not in body or dataset_id != "open-data", f"{where}: the withheld column is named"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("door", LISTINGS)
def test_listings_feeds_and_search_show_only_what_each_role_may_read(world: World, role: str, door: str) -> None:
    readable, sees_plate = ROLES[role]
    answer = httpx.get(world.base + door, headers=world.headers[role], timeout=30)
    assert answer.status_code == 200, f"{role} at {door}: {answer.status_code}"
    for dataset_id in set(DATASETS) - readable:
        assert f"Titel {dataset_id}" not in answer.text, f"{role} at {door}: {dataset_id} leaks"
        assert marker(dataset_id) not in answer.text
    if not sees_plate:
        assert SECRET_PLATE not in answer.text


def test_facet_counts_count_only_what_the_role_may_read(world: World) -> None:
    anonymous = httpx.get(world.base + "/api/3/action/package_search?q=Titel&facet.field=[\"res_format\"]",
                          timeout=30).json()["result"]
    assert anonymous["count"] == 1


def test_reads_of_non_public_data_need_a_purpose_and_are_logged_with_it(world: World) -> None:
    # a session carries the purpose given at sign-in; a token must state it with every request
    token = {k: v for k, v in world.headers["token-verkeer"].items() if k != "X-Purpose"}
    refused = httpx.get(world.base + "/api/v1/datasets/intern/rows", headers=token)
    assert refused.status_code == 403 and "purpose" in refused.json()["detail"]
    before = len(audit.search(world.store, target="intern", action="read", limit=None))
    assert httpx.get(world.base + "/api/v1/datasets/intern/rows", headers=world.headers["token-verkeer"]
                     ).status_code == 200
    entries = audit.search(world.store, target="intern", action="read", limit=None)
    assert len(entries) == before + 1
    assert entries[-1].purpose == PURPOSE and entries[-1].kind == "token"
    open_reads = audit.search(world.store, target="open-data", action="read", limit=None)
    httpx.get(world.base + "/api/v1/datasets/open-data/rows")
    # open data with a withheld column is not public either: its reads are logged too
    assert len(audit.search(world.store, target="open-data", action="read", limit=None)) == len(open_reads) + 1
    assert audit.verify_chain(world.store) is None


def test_cached_answers_never_cross_roles(world: World) -> None:
    staff = httpx.get(world.base + "/api/v1/datasets/open-data/rows", headers=world.headers["steward"])
    assert SECRET_PLATE in staff.text
    assert staff.headers["cache-control"] == "private, no-store"
    anonymous = httpx.get(world.base + "/api/v1/datasets/open-data/rows")
    assert SECRET_PLATE not in anonymous.text



def test_no_personal_value_of_a_dataset_with_findings_leaves_through_any_door(world: World, tmp_path: Path) -> None:
    source = tmp_path / "lek.geojson"
    email = "j.jansen@example.nl"
    features = ",".join(
        '{"type": "Feature", "properties": {"naam": "MARKER-LEK", "melder": "' + f"{name}@example.nl" + '"}, '
        '"geometry": {"type": "Point", "coordinates": [6.56, 53.21]}}'
        for name in ("j.jansen", "p.devries", "a.bakker", "m.visser", "k.smit")
    )
    source.write_text('{"type": "FeatureCollection", "features": [' + features + "]}", encoding="utf-8")
    outcome = ingest(world.store, source, "lek", meta={"title": "Titel lek", "description": "Meldingen."})
    assert outcome.privacy_findings, "the e-mail addresses are found at ingest"
    world.store.set_status("lek", "published")  # even a dataset published by mistake keeps them in
    for door in [*DOORS, *LISTINGS, "/api/v1/indicators", "/indicators"]:
        for role in ("anonymous", "employee", "token-verkeer"):
            answer = httpx.get(world.base + door.format(id="lek"), headers=world.headers[role], timeout=30)
            assert email not in answer.text, f"{role} at {door}: a personal value leaks"
    steward = httpx.get(world.base + "/api/v1/datasets/lek/rows", headers=world.headers["steward"], timeout=30)
    assert email in steward.text, "stewards review the finding"
