"""Prove that a steward can find and resolve personal data from the `wierde` command, and script it by exit code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.protect.privacy_sample import make_instance, rows
from wierde.cli import app
from wierde.cli.privacy import FINDINGS_EXIT

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_instance(tmp_path_factory.mktemp("privacy-cli"))


def wierde(home: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--home", str(home)])
    return result.exit_code, result.output


def test_scan_exits_6_with_findings_and_never_prints_a_value(home: Path) -> None:
    code, out = wierde(home, "scan", "meldingen", "--json")
    assert code == FINDINGS_EXIT == 6
    report = json.loads(out)
    assert report["version"] == 1 and report["open"] == len(report["findings"]) == 17
    code, table = wierde(home, "scan", "meldingen")
    assert code == 6 and "bsn" in table and "kenteken" in table
    for record in rows():
        for name in ("bsn", "rekeningnummer", "email", "telefoon", "kenteken", "naam_melder"):
            assert record[name] not in out and record[name] not in table


def test_resolve_until_the_scan_is_clean(home: Path, tmp_path: Path) -> None:
    home = Path(shutil.copytree(home, tmp_path / "copy"))  # this test changes the dataset
    steps = [
        ("--column", "bsn", "--action", "drop"),
        ("--column", "email", "--action", "accept", "--reason", "werkadressen"),
        ("--action", "aggregate", "--by", "gemeentecode,jaar"),
    ]
    for step in steps:
        code, out = wierde(home, "resolve", "meldingen", *step)
        assert code == 0, out
    code, out = wierde(home, "scan", "meldingen", "--json")
    assert code == 0 and json.loads(out)["open"] == 0
    assert json.loads(out)["version"] == 3  # drop made v2, the acceptance none, aggregate v3


def test_mistakes_get_a_clear_message_and_exit_code(home: Path) -> None:
    code, out = wierde(home, "resolve", "meldingen", "--column", "naam_melder", "--action", "accept")
    assert code == 2 and "reason" in out
    code, out = wierde(home, "scan", "bestaat-niet")
    assert code == 3 and "does not exist" in out  # not 6: a script can tell "no such dataset" from "findings"
    code, out = wierde(home, "resolve", "meldingen", "--column", "x", "--action", "verbergen")
    assert code == 2 and "unknown action" in out


def test_a_dataset_without_personal_data_scans_clean(tmp_path: Path) -> None:
    source = tmp_path / "gemeenten.csv"
    source.write_text("gemeente_code;naam;inwoners\nGM0014;Groningen;238147\nGM0765;Pekela;12230\n", encoding="utf-8")
    home = tmp_path / "inst"
    assert runner.invoke(app, ["ingest", str(source), "--dataset", "gemeenten", "--home", str(home)]).exit_code == 0
    code, out = wierde(home, "scan", "gemeenten")
    assert code == 0 and "geen persoonsgegevens" in out
