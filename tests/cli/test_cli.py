"""Prove that a data steward can run the whole life of a dataset from the `wierde` command."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wierde.cli import app

runner = CliRunner()


def wierde(home: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "--home", str(home)] if args[0] != "init" else list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def home(tmp_path: Path) -> Path:
    wierde(tmp_path, "init", str(tmp_path / "inst"))
    return tmp_path / "inst"


def write_rows(path: Path, rows: list[str]) -> Path:
    path.write_text("gemeente_code;naam;inwoners;hoogte\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_ingest_publish_export_and_versions(home: Path, tmp_path: Path) -> None:
    source = write_rows(tmp_path / "gemeenten.csv", ["GM0014;Groningen;238147;2,5", "GM0765;Pekela;12230;-0,4"])
    out = json.loads(wierde(home, "ingest", str(source), "--dataset", "gemeenten", "--title", "Gemeenten", "--json"))
    assert out["version"] == 1 and out["rows"] == 2 and out["created"] is True
    fields = {f["name"]: f["type"] for f in out["schema"]["fields"]}
    assert fields == {"gemeente_code": "string", "naam": "string", "inwoners": "integer", "hoogte": "number",
                      "pv_code": "string", "gm_code": "string"}  # ingest adds the standard region code columns

    again = json.loads(wierde(home, "ingest", str(source), "--dataset", "gemeenten", "--json"))
    assert again["created"] is False and again["version"] == 1, "identical content makes no new version"

    listed = json.loads(wierde(home, "datasets", "--json"))
    assert listed == [{"id": "gemeenten", "title": "Gemeenten", "status": "draft", "current_version": 1}]
    wierde(home, "publish", "gemeenten", "--licence", "CC-BY-4.0", "--theme", "REGI")  # the gate asks for both
    assert json.loads(wierde(home, "datasets", "--json"))[0]["status"] == "published"

    target = tmp_path / "export.csv"
    wierde(home, "export", "gemeenten", "--format", "csv", "-o", str(target))
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0] == ["gemeente_code", "naam", "inwoners", "hoogte", "pv_code", "gm_code"]
    assert ["GM0765", "Pekela", "12230", "-0.4", "PV20", "GM0765"] in rows, "negative numbers stay numbers"


def test_versions_and_diff(home: Path, tmp_path: Path) -> None:
    source = write_rows(tmp_path / "a.csv", ["GM0014;Groningen;238147;2,5", "GM0765;Pekela;12230;-0,4"])
    wierde(home, "ingest", str(source), "--dataset", "gemeenten")
    source2 = write_rows(tmp_path / "b.csv", ["GM0014;Groningen;240000;2,5", "GM0037;Stadskanaal;31855;5,1"])
    wierde(home, "ingest", str(source2), "--dataset", "gemeenten")
    versions = json.loads(wierde(home, "versions", "gemeenten", "--json"))
    assert [(v["number"], v["current"]) for v in versions] == [(1, False), (2, True)]
    diff = json.loads(wierde(home, "diff", "gemeenten", "1", "2", "--key", "gemeente_code", "--json"))
    assert (diff["added"], diff["removed"], diff["changed"]) == (1, 1, 1)


def test_bad_rows_are_refused_with_line_numbers(home: Path, tmp_path: Path) -> None:
    source = write_rows(tmp_path / "bad.csv", ["GM0014;Groningen;238147;2,5", "GM0765;Pekela;veel;-0,4"])
    result = runner.invoke(app, ["ingest", str(source), "--dataset", "gemeenten", "--type", "inwoners=integer",
                                 "--home", str(home)])
    assert result.exit_code != 0
    assert "3" in result.output and "inwoners" in result.output, result.output
    assert "does not exist" in runner.invoke(app, ["versions", "gemeenten", "--home", str(home)]).output


def test_unknown_dataset_is_a_clear_error(home: Path) -> None:
    result = runner.invoke(app, ["versions", "bestaat-niet", "--home", str(home)])
    assert result.exit_code == 3
    assert "bestaat-niet" in result.output
