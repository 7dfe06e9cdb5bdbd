"""Prove that a scan finds the personal data a steward would, says how much and shows it only masked."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.protect.privacy_sample import clone_dataset, make_instance, rows, write_homes_geojson
from wierde.collect.ingest import ingest
from wierde.config import Settings
from wierde.protect.privacy import PrivacyReport, open_findings, scan_parquet, scan_version
from wierde.protect.privacy.records import report_path
from wierde.store.repository import Store

VALUE_FINDINGS = {
    ("naam_melder", "person_name"), ("bsn", "bsn"), ("rekeningnummer", "iban"), ("email", "email"),
    ("telefoon", "phone"), ("kenteken", "kenteken"), ("geboortedatum", "birth_date"),
    ("postcode", "postcode_huisnummer"), ("x", "dwelling_location"),
}
TEXT_KINDS = {"bsn", "iban", "email", "phone", "person_name", "kenteken", "postcode_huisnummer", "birth_date"}
NUMBERS = itertools.count(1)
HARMLESS = {"melding_id", "ordernummer", "gemeentecode", "jaar", "datum_melding", "huisnummer", "straat", "station"}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One store for the module (opening DuckDB with its extensions is the slow part); a dataset per test."""
    store = Store.open(Settings(home=make_instance(tmp_path_factory.mktemp("privacy-scan"))))
    yield store
    store.close()


@pytest.fixture
def ds(shared: Store) -> str:
    return clone_dataset(shared, "meldingen", f"meldingen-{next(NUMBERS)}")


def test_scan_finds_every_kind_in_columns_and_in_free_text(shared: Store, ds: str) -> None:
    report = scan_version(shared, ds)
    values = {(f.column, f.kind) for f in report.findings if not f.in_text}
    assert values == VALUE_FINDINGS
    assert {f.kind for f in report.findings if f.in_text and f.column == "opmerking"} == TEXT_KINDS
    assert not {f.column for f in report.findings} & HARMLESS  # order numbers, codes, years, streets, stations
    whole = {f.column: f for f in report.findings if not f.in_text}
    assert whole["bsn"].share == 1.0 and whole["bsn"].count == 200
    assert whole["postcode"].with_columns == ("huisnummer",) and whole["x"].with_columns == ("y",)
    leaks = [f for f in report.findings if f.in_text]
    assert all(0 < f.share <= 0.02 for f in leaks)  # one remark in ten leaks, spread over eight kinds


def test_masked_examples_never_show_a_value(shared: Store, ds: str) -> None:
    report = scan_version(shared, ds)
    originals = {column: {str(r[column]).strip() for r in rows()} for column in rows()[0]}
    for finding in report.findings:
        assert 1 <= len(finding.examples) <= 3
        for example in finding.examples:
            assert "•" in example
            assert not any(value in example for value in originals[finding.column] if len(value) > 4), example
            assert not re.search(r"\d{5}", example.replace(".", "")), example


def test_the_report_is_json_and_kept_beside_the_metadata_not_in_the_data(shared: Store, ds: str) -> None:
    report = scan_version(shared, ds)
    assert PrivacyReport.from_json(report.to_json()) == report
    path = report_path(shared.settings, ds, 1)
    assert path.is_file() and shared.settings.data_dir not in path.parents
    assert json.loads(path.read_text(encoding="utf-8"))["open"] == len(report.findings)


def test_open_findings_scans_a_version_nobody_scanned(shared: Store, ds: str) -> None:
    assert not report_path(shared.settings, ds, 1).exists()
    assert len(open_findings(shared, ds)) == 17
    assert report_path(shared.settings, ds, 1).exists()


def scan_csv(store: Store, tmp_path: Path, header: str, lines: list[str]) -> PrivacyReport:
    source = tmp_path / f"data-{next(NUMBERS)}.csv"
    source.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    dataset = source.stem
    ingest(store, source, dataset)
    return scan_version(store, dataset)


def test_nine_digit_numbers_without_context_pass_only_when_nearly_all_pass(shared: Store, tmp_path: Path) -> None:
    passing = ["111222333", "123456782", "100000009", "100000010", "100000022", "100000034", "100000046",
               "100000058", "100000071", "100000083", "100000095", "100000101"]
    mixed = [n if i % 4 == 0 else str(int(n) + 1) for i, n in enumerate(passing)]  # most fail the 11-proef
    report = scan_csv(shared, tmp_path, "nummer;ordernummer", [f"{a};{b}" for a, b in zip(passing, mixed, strict=True)])
    found = {f.column: f for f in report.findings}
    assert set(found) == {"nummer"} and found["nummer"].confidence < 0.9  # all pass: still likely BSNs


def points(n: int, *, repeat: int = 1, grid: bool = False) -> list[tuple[float, float]]:
    out = []
    for i in range(n):
        x, y = 231_000 + i * 37.13, 580_000 + (i * 7919 % 5000) + 0.25
        if grid:
            x, y = round(x, -3), round(y, -3)
        out += [(x, y)] * repeat
    return out


def test_points_of_objects_are_not_homes_but_points_of_people_are(shared: Store, tmp_path: Path) -> None:
    lamps = scan_csv(shared, tmp_path, "id;soort;x;y", [f"{i};lantaarnpaal;{x};{y}" for i, (x, y) in
                                                      enumerate(points(60))])
    assert lamps.findings == ()  # public objects: precise, but nobody's home
    people = scan_csv(shared, tmp_path, "id;leeftijd;x;y", [f"{i};{30 + i % 50};{x};{y}" for i, (x, y) in
                                                          enumerate(points(60))])
    assert [(f.column, f.kind, f.with_columns) for f in people.findings] == [("x", "dwelling_location", ("y",))]


def test_shared_points_and_coarse_points_pinpoint_nobody(shared: Store, tmp_path: Path) -> None:
    header = "id;leeftijd;x;y"
    crowded = scan_csv(shared, tmp_path, header, [f"{i};{30 + i % 50};{x};{y}" for i, (x, y) in
                                                  enumerate(points(10, repeat=20))])
    assert crowded.findings == ()  # ten buildings with twenty records each
    coarse = scan_csv(shared, tmp_path, header, [f"{i};{30 + i % 50};{x};{y}" for i, (x, y) in
                                                 enumerate(points(60, grid=True))])
    assert coarse.findings == ()  # already on a 1 km grid


def test_point_geometry_of_residents(shared: Store, tmp_path: Path) -> None:
    ingest(shared, write_homes_geojson(tmp_path / "woningen.geojson"), "woningen")
    report = scan_version(shared, "woningen")
    assert [(f.kind, f.count) for f in report.findings] == [("dwelling_location", 60)]


def test_a_large_file_is_sampled_spread_over_all_rows(shared: Store, tmp_path: Path) -> None:
    con = shared.duck()
    path = tmp_path / "large.parquet"
    con.execute(f"""COPY (SELECT range AS id,
        CASE WHEN range % 100 = 7 THEN 'Bel 06-' || (10000000 + range) ELSE 'geen bijzonderheden' END AS opmerking,
        'user' || range || '@example.nl' AS email FROM range(20000)) TO '{path}' (FORMAT parquet)""")
    report = scan_parquet(con, path, sample_rows=2000)
    assert report.rows == 20000 and 1500 < report.scanned_rows < 2500
    found = {f.column: f for f in report.findings}
    assert found["email"].share == 1.0
    assert found["opmerking"].in_text and 0.005 < found["opmerking"].share < 0.02  # 1 % of rows, as in the file
