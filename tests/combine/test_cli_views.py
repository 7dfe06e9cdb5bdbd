"""Prove that a data steward can define, list, show, refresh and check views with the `wierde views` commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from tests.combine.conftest import PER_BRIDGE, PER_HOUR, TRAFFIC
from wierde.cli import app

runner = CliRunner()


def wierde(home: Path, *args: str, code: int = 0) -> Result:
    result = runner.invoke(app, [*args, "--home", str(home)])
    assert result.exit_code == code, result.output
    return result


def said(result: Result) -> str:
    """The output as one line: Rich wraps long messages at the terminal width."""
    return " ".join(result.output.split())


@pytest.fixture
def home(template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "instance"
    shutil.copytree(template, target)
    return target


def test_add_list_show_and_follow_a_new_input(home: Path, tmp_path: Path) -> None:
    file = tmp_path / "per_uur.yaml"
    file.write_text(yaml.safe_dump({"id": "openingen_per_uur", "title": "Openingen per uur", "sql": PER_HOUR}))
    added = json.loads(wierde(home, "views", "add", str(file), "--json").stdout)
    assert added == [{"view": "openingen_per_uur", "version": 1, "created": True, "rows": 3,
                      "inputs": {"brugopeningen": 1, "verkeerstellingen": 1}, "engine": "duckdb",
                      "seconds": added[0]["seconds"]}]
    out = wierde(home, "views", "add", "--sql", PER_BRIDGE, "--id", "per_brug", "--title", "Per brug").stdout
    assert "per_brug" in out and "version 1" in out

    listed = {v["id"]: v for v in json.loads(wierde(home, "views", "list", "--json").stdout)}
    assert listed["openingen_per_uur"]["inputs"] == {"brugopeningen": 1, "verkeerstellingen": 1}
    assert listed["per_brug"]["inputs"] == {"openingen_per_uur": 1}
    assert not listed["per_brug"]["stale"]

    (tmp_path / "verkeer.csv").write_text(TRAFFIC.replace("420,61", "450,90"), encoding="utf-8")
    wierde(home, "ingest", str(tmp_path / "verkeer.csv"), "--dataset", "verkeerstellingen")
    listed = {v["id"]: v for v in json.loads(wierde(home, "views", "list", "--json").stdout)}
    assert listed["openingen_per_uur"]["inputs"] == {"brugopeningen": 1, "verkeerstellingen": 2}
    assert listed["per_brug"]["inputs"] == {"openingen_per_uur": 2} and listed["per_brug"]["version"] == 2

    shown = json.loads(wierde(home, "views", "show", "per_brug", "--json").stdout)
    assert shown["sql"] == PER_BRIDGE and [e["inputs"] for e in shown["lineage"]] == [
        {"openingen_per_uur": 2}, {"openingen_per_uur": 1}]
    assert "Per brug" in wierde(home, "views", "show", "per_brug").stdout


def test_add_refuses_a_bad_view_and_leaves_the_file_alone(home: Path) -> None:
    result = wierde(home, "views", "add", "--sql", "SELECT * FROM bruggen", "--id", "los", code=2)
    assert "view 'los' reads 'bruggen', which is not a dataset or views" in said(result)
    result = wierde(home, "views", "add", "--sql", "SELECT brug_id, wachtend FROM verkeerstellingen", "--id", "x",
                    code=2)
    assert "view 'x' could not be refreshed" in said(result) and "wachtend" in said(result)
    assert not (home / "views.yaml").exists()


def test_refresh_all_and_a_failing_view(home: Path) -> None:
    (home / "views.yaml").write_text(yaml.safe_dump([
        {"id": "per_brug", "title": "Per brug", "sql": PER_BRIDGE},
        {"id": "openingen_per_uur", "title": "Per uur", "sql": PER_HOUR},
    ]), encoding="utf-8")
    done = json.loads(wierde(home, "views", "refresh", "--all", "--json").stdout)
    assert [r["view"] for r in done["refreshed"]] == ["openingen_per_uur", "per_brug"] and done["failed"] == []

    again = json.loads(wierde(home, "views", "refresh", "openingen_per_uur", "--json").stdout)
    assert [(r["view"], r["created"]) for r in again["refreshed"]] == [("openingen_per_uur", False),
                                                                       ("per_brug", False)]

    (home / "views.yaml").write_text(yaml.safe_dump([
        {"id": "openingen_per_uur", "title": "Per uur", "sql": PER_HOUR.replace("t.vertraagd", "t.weg")},
    ]), encoding="utf-8")
    failed = wierde(home, "views", "refresh", "openingen_per_uur", code=6)
    assert "view 'openingen_per_uur' could not be refreshed" in said(failed)
    assert "version 1 stays current" in said(failed)


def test_check_compares_each_view_on_two_engines(home: Path) -> None:
    (home / "views.yaml").write_text(yaml.safe_dump([
        {"id": "openingen_per_uur", "title": "Per uur", "sql": PER_HOUR},
        {"id": "per_brug", "title": "Per brug", "sql": PER_BRIDGE},
    ]), encoding="utf-8")
    checked = json.loads(wierde(home, "views", "check", "--engine", "duckdb", "--json").stdout)
    assert [(c["view"], c["outcome"]) for c in checked] == [("openingen_per_uur", "same"), ("per_brug", "same")]


@pytest.mark.slow
def test_check_on_spark_agrees_and_names_a_view_it_skips(home: Path) -> None:
    (home / "views.yaml").write_text(yaml.safe_dump([
        {"id": "openingen_per_uur", "title": "Per uur", "sql": PER_HOUR},
        {"id": "per_brug", "title": "Per brug", "sql": PER_BRIDGE},
        {"id": "met_vorm", "title": "Met vorm", "sql": "SELECT brug_id, ST_AsText(ST_Point(1, 2)) AS wkt "
                                                        "FROM brugopeningen"},
    ]), encoding="utf-8")
    checked = {c["view"]: c for c in json.loads(wierde(home, "views", "check", "--engine", "spark", "--json").stdout)}
    assert checked["openingen_per_uur"]["outcome"] == "same", checked["openingen_per_uur"]
    assert checked["per_brug"]["outcome"] == "same", checked["per_brug"]
    assert checked["met_vorm"]["outcome"] == "skipped" and "ST_ASTEXT" in checked["met_vorm"]["detail"]

