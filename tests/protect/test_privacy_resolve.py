"""Prove that every resolution makes a new version without the finding, and the version it came from stays intact."""

from __future__ import annotations

import itertools
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.protect.privacy_sample import clone_dataset, copy_instance, make_instance, write_homes_geojson
from wierde.collect.ingest import ingest
from wierde.config import Settings
from wierde.errors import InvalidInput, NotFound
from wierde.protect.privacy import (
    accept,
    aggregate,
    drop,
    find_all,
    generalise,
    open_findings,
    pseudonymise,
    resolve,
    scan_parquet,
    scan_version,
)
from wierde.protect.privacy.pseudonyms import key_path, pseudonym
from wierde.protect.privacy.records import load_report
from wierde.regions.hierarchy import RegionSet
from wierde.store.repository import Store, file_hash

HEX = re.compile(r"[0-9a-f]{32}")
NUMBERS = itertools.count(1)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_instance(tmp_path_factory.mktemp("privacy-template"))


@pytest.fixture(scope="module")
def shared(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One store for the module (opening DuckDB with its extensions is the slow part); a dataset per test."""
    store = copy_instance(template, tmp_path_factory.mktemp("privacy-shared") / "instance")
    yield store
    store.close()


@pytest.fixture
def ds(shared: Store) -> str:
    """A fresh copy of the complaints register (version 1) under a dataset id of this test's own."""
    return clone_dataset(shared, "meldingen", f"meldingen-{next(NUMBERS)}")


def column(store: Store, ds: str, name: str, version: int | None = None) -> list[object]:
    v = store.version(ds, version)
    con = store.duck()
    try:
        return [r[0] for r in con.execute(f"SELECT \"{name}\" FROM read_parquet('{store.path_of(v)}')").fetchall()]
    finally:
        con.close()


def fresh_scan(store: Store, ds: str) -> set[tuple[str, str]]:
    """What a new scan of the current file finds, ignoring what any report says."""
    v = store.version(ds)
    con = store.duck()
    try:
        return {(f.column, f.kind) for f in scan_parquet(con, store.path_of(v), v.table_schema).findings}
    finally:
        con.close()


@pytest.mark.parametrize(("action", "target", "kind"), [
    ("drop", "bsn", "bsn"),
    ("drop", "kenteken", "kenteken"),
    ("pseudonymise", "naam_melder", "person_name"),
    ("pseudonymise", "rekeningnummer", "iban"),
    ("pseudonymise", "telefoon", "phone"),
    ("generalise", "geboortedatum", "birth_date"),
    ("generalise", "postcode", "postcode_huisnummer"),
    ("generalise", "opmerking", "phone"),
    ("generalise", "x", "dwelling_location"),
])
def test_each_resolution_makes_a_new_version_without_the_finding(
    shared: Store, ds: str, action: str, target: str, kind: str
) -> None:
    before = scan_version(shared, ds)
    assert (target, kind) in {(f.column, f.kind) for f in before.findings}
    v1 = shared.version(ds, 1)

    done = resolve(shared, ds, action, target)

    assert (done.version, done.created, done.derived_from) == (2, True, 1)
    assert shared.version(ds).number == 2
    assert (target, kind) not in fresh_scan(shared, ds)
    assert not [f for f in open_findings(shared, ds) if f.column == target]
    assert len(open_findings(shared, ds)) < len(before.findings)
    # the original is untouched: same file, same bytes, same report
    assert shared.path_of(v1).is_file() and file_hash(shared.path_of(v1)) == v1.content_hash
    assert load_report(shared, ds, 1) == before
    # the new version says what was done, and to what
    stored = shared.version(ds, 2).report["privacy"]
    settled = [f for f in stored["findings"] if f["column"] == target]
    assert settled and all(f["resolved_by"] == action and f["decided_on"] == 1 for f in settled)


def test_drop_removes_the_column_and_only_it(shared: Store, ds: str) -> None:
    drop(shared, ds, ["bsn"])
    names = [f["name"] for f in shared.version(ds).fields]
    assert "bsn" not in names and "naam_melder" in names and shared.version(ds).row_count == 200
    assert len(column(shared, ds, "bsn", 1)) == 200


def test_generalised_values_keep_their_use(shared: Store, ds: str) -> None:
    generalise(shared, ds, "geboortedatum")
    generalise(shared, ds, "postcode")
    generalise(shared, ds, "opmerking")
    generalise(shared, ds, "x")
    years = column(shared, ds, "geboortedatum")
    assert all(isinstance(y, int) and 1940 <= y <= 2006 for y in years)
    assert all(re.fullmatch(r"97\d\d", str(pc)) for pc in column(shared, ds, "postcode"))
    remarks = [str(r) for r in column(shared, ds, "opmerking")]
    assert not [r for r in remarks if find_all(r, "opmerking")]
    assert "Bel mij terug op [telefoonnummer] na 17 uur" in remarks
    assert "Veel zwerfafval rond station Groningen Europapark" in remarks  # harmless text stays as it was
    assert {(x % 1000, y % 1000) for x, y in zip(column(shared, ds, "x"), column(shared, ds, "y"), strict=True)} == {
        (500, 500)}
    fields = {f["name"]: f["type"] for f in shared.version(ds).fields}
    assert fields["geboortedatum"] == "year" and fields["postcode"] == "string"
    assert fresh_scan(shared, ds) == {("naam_melder", "person_name"), ("bsn", "bsn"), ("rekeningnummer", "iban"),
                                     ("email", "email"), ("telefoon", "phone"), ("kenteken", "kenteken")}


def test_locations_become_neighbourhood_codes_when_regions_are_known(shared: Store, ds: str) -> None:
    con = shared.duck()
    try:
        regions = RegionSet.from_relation(con, """SELECT * FROM (VALUES
            ('BU00140001', 'West', ST_SetCRS(ST_GeomFromText(
                'POLYGON((229000 577000, 235000 577000, 235000 587000, 229000 587000, 229000 577000))'), 'EPSG:28992')),
            ('BU00140002', 'Oost', ST_SetCRS(ST_GeomFromText(
                'POLYGON((235000 577000, 241000 577000, 241000 587000, 235000 587000, 235000 577000))'), 'EPSG:28992'))
            ) AS t(code, naam, geom)""")
    finally:
        con.close()
    generalise(shared, ds, "x", regions=regions)
    names = [f["name"] for f in shared.version(ds).fields]
    assert "x" not in names and "y" not in names
    assert set(column(shared, ds, "bu_code")) == {"BU00140001", "BU00140002"}


def test_home_points_move_to_the_centre_of_their_kilometre(tmp_path: Path) -> None:
    store = Store.open(Settings(home=tmp_path / "inst"))
    try:
        ingest(store, write_homes_geojson(tmp_path / "woningen.geojson"), "woningen")
        geometry = next(f.column for f in scan_version(store, "woningen").findings)
        generalise(store, "woningen", geometry)
        v = store.version("woningen")
        con = store.duck()
        try:
            cells = con.execute(
                f"SELECT DISTINCT ST_X(g) % 1000, ST_Y(g) % 1000, count(*) OVER () FROM (SELECT ST_Transform("
                f"\"{geometry}\", 'EPSG:28992', always_xy := true) AS g FROM read_parquet('{store.path_of(v)}'))"
            ).fetchall()
            fresh = scan_parquet(con, store.path_of(v), v.table_schema)
        finally:
            con.close()
    finally:
        store.close()
    assert {(round(x), round(y)) for x, y, _ in cells} == {(500, 500)} and cells[0][2] == 60
    assert fresh.findings == ()


def test_locations_use_the_instances_own_neighbourhoods(template: Path, tmp_path: Path) -> None:
    def square(code: str, west: float, east: float) -> dict[str, object]:
        ring = [[west, 52.9], [east, 52.9], [east, 53.6], [west, 53.6], [west, 52.9]]
        return {"type": "Feature", "properties": {"code": code, "naam": code},
                "geometry": {"type": "Polygon", "coordinates": [ring]}}
    meldingen = copy_instance(template, tmp_path / "instance")  # its own store: it adds a region reference
    buurten = tmp_path / "buurten.geojson"
    buurten.write_text(json.dumps({"type": "FeatureCollection", "features": [
        square("BU00140001", 6.0, 6.56), square("BU00140002", 6.56, 7.2)]}), encoding="utf-8")
    ingest(meldingen, buurten, "buurten")
    generalise(meldingen, "meldingen", "x")  # no regions given: the store's buurten are the reference
    try:
        assert set(column(meldingen, "meldingen", "bu_code")) == {"BU00140001", "BU00140002"}
        assert "x" not in [f["name"] for f in meldingen.version("meldingen").fields]
    finally:
        meldingen.close()


def test_values_without_a_coarser_form_are_refused(shared: Store, ds: str) -> None:
    with pytest.raises(InvalidInput, match="drop or pseudonymise"):
        generalise(shared, ds, "bsn")
    with pytest.raises(InvalidInput, match="no open finding"):
        generalise(shared, ds, "straat")
    assert shared.version(ds).number == 1


def test_pseudonyms_are_stable_with_one_key_and_differ_with_another(template: Path, tmp_path: Path) -> None:
    shared_key = tmp_path / "keys" / "gedeeld.key"
    one = copy_instance(template, tmp_path / "one", pseudonym_key_file=str(shared_key))
    two = copy_instance(template, tmp_path / "two", pseudonym_key_file=str(shared_key))
    other = copy_instance(template, tmp_path / "other")
    try:
        for store in (one, two, other):
            pseudonymise(store, "meldingen", ["rekeningnummer"])
        first, second, third = (column(s, "meldingen", "rekeningnummer") for s in (one, two, other))
    finally:
        for store in (one, two, other):
            store.close()
    assert all(isinstance(p, str) and HEX.fullmatch(p) for p in first)
    assert first == second  # another run, the same key: the same pseudonyms, so datasets still join
    assert not set(first) & set(third)  # another key: nothing in common
    assert len(set(first)) == len(first)  # 200 accounts, 200 pseudonyms


def test_one_value_in_two_spellings_gets_one_pseudonym() -> None:
    key = b"k" * 64
    assert pseudonym(key, "iban", "NL91 ABNA 0417 1643 00") == pseudonym(key, "iban", "nl91abna0417164300")
    assert pseudonym(key, "phone", "06-12345678") == pseudonym(key, "phone", "+31 6 12345678")
    assert pseudonym(key, "bsn", "12345672") == pseudonym(key, "bsn", "012345672")
    assert pseudonym(key, "email", "Jan@Example.nl") == pseudonym(key, "email", "jan@example.nl")
    assert pseudonym(key, "email", "jan@example.nl") != pseudonym(b"x" * 64, "email", "jan@example.nl")


def test_the_key_lives_outside_the_data_folder_readable_by_its_owner_only(shared: Store, ds: str) -> None:
    pseudonymise(shared, ds, ["email"])
    path = key_path(shared.settings)
    assert path == shared.settings.home / "pseudonym.key"
    assert shared.settings.data_dir not in path.parents
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    inside = Settings(home=shared.settings.home, pseudonym_key_file=str(shared.settings.data_dir / "k.key"))
    with pytest.raises(InvalidInput, match="outside the data folder"):
        key_path(inside)


def test_an_acceptance_needs_a_reason_and_makes_no_new_version(shared: Store, ds: str) -> None:
    with pytest.raises(InvalidInput, match="reason"):
        accept(shared, ds, "email", "  ")
    with pytest.raises(NotFound):
        accept(shared, ds, "straat", "geen persoonsgegevens")
    done = accept(shared, ds, "email", "werkadressen van ambtenaren")
    assert (done.version, done.created) == (1, False)
    assert "email" not in {f.column for f in open_findings(shared, ds)}
    rescanned = scan_version(shared, ds)  # a new scan keeps the steward's decision
    email = next(f for f in rescanned.findings if f.column == "email")
    assert (email.resolved_by, email.reason) == ("accept", "werkadressen van ambtenaren")
    drop(shared, ds, ["bsn"])  # and so does the next version
    assert "email" not in {f.column for f in open_findings(shared, ds)}


def test_aggregate_counts_by_the_chosen_columns(shared: Store, ds: str) -> None:
    done = aggregate(shared, ds, ["gemeentecode"])
    assert done.created and open_findings(shared, ds) == []
    version = shared.version(ds)
    assert [f["name"] for f in version.fields] == ["gemeentecode", "aantal"]
    assert sum(int(n) for n in column(shared, ds, "aantal")) == 200 and version.row_count <= 4


def test_unknown_columns_and_actions_are_clear_errors(shared: Store, ds: str) -> None:
    with pytest.raises(InvalidInput, match="no column"):
        drop(shared, ds, ["bestaat_niet"])
    with pytest.raises(InvalidInput, match="unknown action"):
        resolve(shared, ds, "verstoppen", "bsn")
    with pytest.raises(InvalidInput, match="geometry|no column"):
        pseudonymise(shared, ds, ["nergens"])


def test_an_acceptance_holds_for_the_next_delivery_but_not_for_new_findings(shared: Store, tmp_path: Path) -> None:
    from wierde.collect.ingest import ingest

    def delivery(name: str, first: int, *, phones: bool) -> Path:
        path = tmp_path / name
        head = "meldpunt,email" + (",telefoon" if phones else "")
        lines = [f"M{i},medewerker{i}@groningen.nl" + (f",06-{12345600 + i}" if phones else "")
                 for i in range(first, first + 60)]
        path.write_text("\n".join([head, *lines]) + "\n", encoding="utf-8")
        return path

    ingest(shared, delivery("a.csv", 0, phones=False), "meldpunten")
    assert {f.column for f in open_findings(shared, "meldpunten")} == {"email"}
    accept(shared, "meldpunten", "email", "werkadressen van ambtenaren")

    ingest(shared, delivery("b.csv", 100, phones=True), "meldpunten")  # the next harvest: other rows
    report = scan_version(shared, "meldpunten")
    email = next(f for f in report.findings if f.column == "email")
    assert (email.resolved_by, email.reason, email.decided_on) == ("accept", "werkadressen van ambtenaren", 1), \
        "the steward's judgement of the column carries over, saying on which version it was made"
    assert {f.column for f in open_findings(shared, "meldpunten")} == {"telefoon"}, \
        "a finding of a new kind is open until a steward decides"
