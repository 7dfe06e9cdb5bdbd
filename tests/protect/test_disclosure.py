"""Prove that published statistics cannot single anyone out: counts are randomly rounded without bias and the same
way every time, small counts and thin averages are secret, a secret cell cannot be recomputed from its parent
region's total, and microdata are made k-anonymous by a generalisation that is checked, not guessed."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wierde.config import Settings
from wierde.errors import InvalidInput
from wierde.protect import disclosure as sdc
from wierde.store import duck
from wierde.store.repository import Store

COUNTS = {"profile": "cbs", "counts": ["werklozen"], "region": "regio"}


def put(store: Store, dataset_id: str, rows: list[dict[str, Any]], types: dict[str, str]) -> int:
    """Commit rows as a new version (column types as Table Schema names) and return its number."""
    arrow_types = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64()}
    schema = pa.schema([(name, arrow_types[kind]) for name, kind in types.items()])
    staged = store.new_tmp_path()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), staged)
    committed = store.commit_version(dataset_id, staged, row_count=len(rows), source={}, report={},
                                     table_schema={"fields": [{"name": n, "type": k} for n, k in types.items()]})
    return committed.version.number


def rows_of(store: Store, dataset_id: str, number: int | None = None) -> list[dict[str, Any]]:
    con = store.duck()
    try:
        relation = con.sql(f"SELECT * FROM '{store.path_of(store.version(dataset_id, number))}'")
        return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
    finally:
        con.close()


def by_region(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["regio"]: row for row in rows}


def neighbourhoods(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """n buurten in n different wijken (no parent rows), with counts from 10 to 1000."""
    rng = random.Random(seed)
    return [{"regio": f"BU{i:06d}00", "period": "2024", "werklozen": rng.randrange(10, 1000)} for i in range(n)]


TYPES = {"regio": "string", "period": "string", "werklozen": "integer"}


def test_random_rounding_is_unbiased_and_only_moves_to_the_nearest_multiples_of_5(store: Store) -> None:
    original = neighbourhoods(5000)
    put(store, "werkloosheid", original, TYPES)
    applied = sdc.apply_profile(store, "werkloosheid", sdc.DisclosureConfig.from_mapping(COUNTS))

    published = by_region(rows_of(store, "werkloosheid"))
    errors: list[int] = []
    up: dict[int, list[bool]] = {r: [] for r in range(1, 5)}
    for row in original:
        shown = published[row["regio"]]
        assert shown["werklozen"] % 5 == 0 and shown["werklozen__status"] == "rounded"
        error = shown["werklozen"] - row["werklozen"]
        assert -4 <= error <= 4
        errors.append(error)
        if row["werklozen"] % 5:
            up[row["werklozen"] % 5].append(error > 0)
    assert abs(sum(errors) / len(errors)) < 0.15, "the mean error is about zero: rounding adds no bias"
    for rest, went_up in up.items():
        share = sum(went_up) / len(went_up)
        assert abs(share - rest / 5) < 0.06, f"a count {rest} above a multiple of 5 goes up with chance {rest}/5"
    assert applied.report["columns"]["werklozen"]["rounded"] == 5000
    assert applied.report["profile"] == "cbs" and applied.report["thresholds"]["rounding_base"] == 5


def test_rounding_is_keyed_by_the_cell_not_by_the_run(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "instance.key"
    original = neighbourhoods(400)

    def publish(home: str, rows: list[dict[str, Any]], key_file: Path) -> dict[str, dict[str, Any]]:
        store = Store.open(Settings(home=tmp_path / home, pseudonym_key_file=str(key_file)))
        try:
            put(store, "werkloosheid", rows, TYPES)
            sdc.apply_profile(store, "werkloosheid", sdc.DisclosureConfig.from_mapping(COUNTS))
            return by_region(rows_of(store, "werkloosheid"))
        finally:
            store.close()

    first = publish("a", original, key)
    shuffled = random.Random(3).sample(original, len(original)) + [{"regio": "BU99999900", "period": "2024",
                                                                     "werklozen": 51}]
    again = publish("b", shuffled, key)  # another run, another instance, rows in another order: same key
    assert all(again[region]["werklozen"] == first[region]["werklozen"] for region in first), \
        "each cell rounds the same way every time, so publishing again cannot average the rounding away"
    other = publish("c", original, tmp_path / "other.key")
    differing = sum(other[region]["werklozen"] != first[region]["werklozen"] for region in first)
    assert differing > 50, "without the instance's key nobody can predict the rounding"


def test_small_counts_and_thin_averages_are_secret(store: Store) -> None:
    rows = [
        {"regio": "BU00140000", "period": "2024", "inwoners": 1200, "werklozen": 7, "gem_inkomen": 31.5},
        {"regio": "BU00140100", "period": "2024", "inwoners": 8, "werklozen": 0, "gem_inkomen": 28.0},
        {"regio": "BU00140200", "period": "2024", "inwoners": 80, "werklozen": 12, "gem_inkomen": 40.2},
        {"regio": "BU00140300", "period": "2024", "inwoners": 450, "werklozen": 25, "gem_inkomen": 33.3},
    ]
    types = {"regio": "string", "period": "string", "inwoners": "integer", "werklozen": "integer",
             "gem_inkomen": "number"}
    put(store, "kerncijfers", rows, types)
    config = sdc.DisclosureConfig.from_mapping({"disclosure": {
        "profile": "cbs", "population": "inwoners", "counts": ["werklozen"], "averages": ["gem_inkomen"],
        "region": "regio"}})
    applied = sdc.apply_profile(store, "kerncijfers", config)
    shown = by_region(rows_of(store, "kerncijfers"))

    assert shown["BU00140000"]["werklozen"] is None and shown["BU00140000"]["werklozen__status"] == "suppressed"
    tiny = shown["BU00140100"]
    assert (tiny["inwoners"], tiny["werklozen"], tiny["gem_inkomen"]) == (None, None, None), \
        "fewer than 10 persons behind a row: every value of it is secret"
    assert tiny["inwoners__status"] == tiny["werklozen__status"] == tiny["gem_inkomen__status"] == "suppressed"
    assert shown["BU00140200"]["gem_inkomen"] is None, "an average of 80 persons is secret (CBS: at least 100)"
    assert shown["BU00140200"]["werklozen"] in (10, 15)
    assert shown["BU00140300"]["gem_inkomen"] == 33.3, "an average of 450 persons is published exactly"
    assert shown["BU00140300"]["gem_inkomen__status"] is None
    columns = applied.report["columns"]
    assert columns["werklozen"]["suppressed"] == 2 and columns["gem_inkomen"]["suppressed"] == 2
    assert applied.report["thresholds"]["min_persons"] == 10 and applied.report["thresholds"]["min_households"] == 100
    fields = {f["name"]: f["type"] for f in store.version("kerncijfers").fields}
    assert fields["werklozen"] == "integer" and fields["werklozen__status"] == "string"


HIERARCHY = [  # werklozen per region: a gemeente, its two wijken and their buurten
    ("GM0014", 68), ("WK001400", 60), ("WK001401", 8),
    ("BU00140000", 31), ("BU00140001", 22), ("BU00140002", 7),  # BU00140002 is secret: 7 < 10
    ("BU00140100", 8),  # the only buurt of WK001401
]


def unrecoverable(rows: dict[str, dict[str, Any]], column: str) -> None:
    """No visible total has exactly one secret part, so no secret value is its total minus the visible parts."""
    for region, row in rows.items():
        if row[column] is None or not region.startswith(("GM", "WK")):
            continue
        parts = [r for code, r in rows.items() if code != region and (
            (region.startswith("WK") and code.startswith("BU") and code[2:8] == region[2:8]) or
            (region.startswith("GM") and code.startswith("WK") and code[2:6] == region[2:6]))]
        hidden = [r for r in parts if r[column] is None]
        assert len(hidden) != 1, f"{region}'s total gives its one secret part away"


def test_secondary_suppression_keeps_secret_cells_from_the_parent_total(store: Store) -> None:
    put(store, "werkloosheid", [{"regio": code, "period": "2024", "werklozen": n} for code, n in HIERARCHY], TYPES)
    applied = sdc.apply_profile(store, "werkloosheid", sdc.DisclosureConfig.from_mapping(COUNTS))
    shown = by_region(rows_of(store, "werkloosheid"))

    status = {code: row["werklozen__status"] for code, row in shown.items()}
    assert status["BU00140002"] == "suppressed" and status["BU00140100"] == "suppressed"  # primary: < 10
    assert status["BU00140001"] == "suppressed", "the next-smallest buurt hides with the secret one"
    assert status["BU00140000"] == "rounded"
    assert status["WK001401"] == "suppressed"
    assert status["WK001400"] == "suppressed", "a wijk hides too, or the gemeente minus it gives WK001401 away"
    assert status["GM0014"] == "rounded"
    unrecoverable(shown, "werklozen")
    assert applied.report["columns"]["werklozen"]["secondary"] == 2


def test_a_declared_total_protects_its_parts(store: Store) -> None:
    rows = [{"regio": "BU00140000", "period": "2024", "inwoners": 120, "mannen": 116, "vrouwen": 4}]
    types = {"regio": "string", "period": "string", "inwoners": "integer", "mannen": "integer", "vrouwen": "integer"}
    put(store, "geslacht", rows, types)
    sdc.apply_profile(store, "geslacht", sdc.DisclosureConfig.from_mapping(
        {"population": "inwoners", "totals": {"inwoners": ["mannen", "vrouwen"]}, "region": "regio"}))
    row = rows_of(store, "geslacht")[0]
    assert row["vrouwen"] is None and row["mannen"] is None, "inwoners minus mannen would give vrouwen away"
    assert row["inwoners"] in (120,)


def test_a_profile_is_a_new_version_and_applying_it_again_changes_nothing(store: Store) -> None:
    first = put(store, "werkloosheid", neighbourhoods(20), TYPES)
    config = sdc.DisclosureConfig.from_mapping(COUNTS)
    sdc.save_config(store, "werkloosheid", config)
    applied = sdc.apply_profile(store, "werkloosheid")
    assert applied.created and applied.version == first + 1 and applied.derived_from == first
    assert rows_of(store, "werkloosheid", first)[0].keys() == {"regio", "period", "werklozen"}, \
        "the original version is untouched"
    assert sdc.is_applied(config, store.version("werkloosheid"))
    again = sdc.apply_profile(store, "werkloosheid")
    assert not again.created and again.version == applied.version
    stricter = sdc.DisclosureConfig.from_mapping({**COUNTS, "min_persons": 500})
    redone = sdc.apply_profile(store, "werkloosheid", stricter)
    assert redone.derived_from == first, "new settings are applied to the original data, not to rounded data"
    assert not sdc.is_applied(config, store.version("werkloosheid"))


def test_a_profile_naming_what_is_not_there_is_refused_with_every_problem(store: Store) -> None:
    put(store, "werkloosheid", neighbourhoods(3), TYPES)
    with pytest.raises(InvalidInput) as refused:
        sdc.save_config(store, "werkloosheid", sdc.DisclosureConfig.from_mapping(
            {"counts": ["werklozen", "banen"], "averages": ["regio"], "population": "werklozen", "region": "regio"}))
    assert "'banen' does not exist" in refused.value.detail and "'regio' is string" in refused.value.detail
    with pytest.raises(InvalidInput, match="unknown profile 'eurostat'.*min_persons"):
        sdc.DisclosureConfig.from_mapping({"profile": "eurostat", "counts": "x", "min_persons": 0})


# -- k-anonymity ----------------------------------------------------------------------------------------------
def microdata(path: Path, n: int = 3000) -> Path:
    """Residents with a full postcode, birth year and sex: almost everyone is unique on those three."""
    rng = random.Random(11)
    areas = [f"97{a:02d}" for a in range(12)]
    rows = [{"id": i, "pc6": f"{rng.choice(areas)}{rng.choice('ABCDEFGH')}{rng.choice('KLMNPR')}",
             "geboortejaar": rng.randrange(1940, 2006), "geslacht": rng.choice("MV"),
             "klacht": rng.choice(["geluid", "afval", "verkeer"])} for i in range(n)]
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def smallest_group(con: duckdb.DuckDBPyConnection, path: Path, expressions: list[str]) -> int:
    row = con.execute(f"SELECT min(n) FROM (SELECT count(*) AS n FROM '{path}' GROUP BY {', '.join(expressions)})"
                      ).fetchone()
    assert row is not None
    return int(row[0])


def test_k_anonymity_finds_the_risky_records_and_a_generalisation_that_fixes_them(tmp_path: Path) -> None:
    path = microdata(tmp_path / "meldingen.parquet")
    con = duck.connect()
    found = sdc.check_k_anonymity(con, path, ["pc6", "geboortejaar", "geslacht"], k=5)

    assert found.records == 3000 and found.risky_records > 2500 and not found.anonymous
    assert found.risky_groups and all(group.size < 5 for group in found.risky_groups)
    assert set(found.risky_groups[0].values) == {"pc6", "geboortejaar", "geslacht"}
    proposal = found.proposal
    assert proposal is not None and proposal.risky_records == 0
    assert proposal.steps["pc6"] == "PC4" and "year band" in proposal.steps["geboortejaar"]
    assert "geslacht" not in proposal.steps, "sex is kept: coarser postcodes and birth years are enough"
    expressions = [proposal.expressions.get(q, f'"{q}"') for q in ("pc6", "geboortejaar", "geslacht")]
    assert smallest_group(con, path, expressions) >= 5, "checked by running the grouping again"


def test_a_microdata_profile_publishes_the_k_anonymous_generalisation(store: Store, tmp_path: Path) -> None:
    path = microdata(tmp_path / "meldingen.parquet")
    staged = store.new_tmp_path()
    staged.write_bytes(path.read_bytes())
    store.commit_version("meldingen", staged, row_count=3000, source={}, report={}, table_schema={"fields": [
        {"name": "id", "type": "integer"}, {"name": "pc6", "type": "string"},
        {"name": "geboortejaar", "type": "integer"}, {"name": "geslacht", "type": "string"},
        {"name": "klacht", "type": "string"}]})
    applied = sdc.apply_profile(store, "meldingen", sdc.DisclosureConfig.from_mapping(
        {"quasi_identifiers": ["pc6", "geboortejaar", "geslacht"], "k": 5}))

    kanon = applied.report["k_anonymity"]
    assert kanon["risky_records"] > 0 and kanon["generalised"]["pc6"] == "PC4"
    published = store.path_of(store.version("meldingen"))
    con = duck.connect()
    assert smallest_group(con, published, ['"pc6"', '"geboortejaar"', '"geslacht"']) >= 5
    assert con.execute(f"SELECT max(length(pc6)) FROM '{published}'").fetchone() == (4,)
    fields = {f["name"]: f for f in store.version("meldingen").fields}
    assert fields["pc6"]["type"] == "string" and "k-anonymity" in fields["pc6"]["description"]

