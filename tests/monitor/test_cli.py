"""Prove that an operator can compute, list, show and subscribe to indicators with `wierde indicators`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

import wierde.cli.indicators  # noqa: F401  (registers `wierde indicators` until cli/__init__ imports it)
from tests.monitor.conftest import QUAKE_COUNT, RENEWABLE, declare
from wierde.cli import app
from wierde.store.repository import Store

runner = CliRunner()


def wierde(home: Path, *args: str, code: int = 0) -> Result:
    result = runner.invoke(app, [*args, "--home", str(home)])
    assert result.exit_code == code, result.output
    return result


def said(result: Result) -> str:
    return " ".join(result.output.split())


def test_compute_list_show_subscribe(figures: Store) -> None:
    home = figures.settings.home
    declare(figures, RENEWABLE, QUAKE_COUNT)
    computed = json.loads(wierde(home, "indicators", "compute", "--all", "--json").stdout)
    assert [c["indicator"] for c in computed["computed"]] == ["hernieuwbaar", "bevingen"]
    assert computed["computed"][0]["inputs"] == {"cijfers": 1} and computed["failed"] == []

    listed = json.loads(wierde(home, "indicators", "list", "--json").stdout)
    assert listed[0]["id"] == "hernieuwbaar" and listed[0]["period"] == "2024" and listed[0]["version"] == 1
    assert "PV20" in said(wierde(home, "indicators", "list"))

    shown = json.loads(wierde(home, "indicators", "show", "hernieuwbaar", "--region", "GM0765", "--json").stdout)
    assert [(s["period"], s["value"]) for s in shown["series"]][:2] == [("2020", 10.0), ("2021", 10.0)]
    assert shown["inputs"] == ["cijfers"]

    sub = json.loads(wierde(home, "indicators", "subscribe", "hernieuwbaar", "--email", "beleid@provincie.test",
                            "--json").stdout)
    assert sub["rule"] == "crosses-target" and sub["state"] == "met"
    assert f"subscription {sub['id']}: crosses-target" in said(wierde(home, "indicators", "show", "hernieuwbaar"))
    wierde(home, "indicators", "unsubscribe", str(sub["id"]))
    assert "subscription" not in said(wierde(home, "indicators", "show", "hernieuwbaar"))


def test_failures_are_named_and_exit_non_zero(figures: Store) -> None:
    home = figures.settings.home
    declare(figures, RENEWABLE, {**QUAKE_COUNT, "source": "bestaat-niet"})
    result = wierde(home, "indicators", "compute", "--all", code=6)
    assert "failed: indicator 'bevingen' reads 'bestaat-niet': dataset 'bestaat-niet' does not exist" in said(result)
    assert "indicator 'nee' does not exist" in said(wierde(home, "indicators", "show", "nee", code=3))
    assert "name indicators or give --all" in said(wierde(home, "indicators", "compute", code=2))
    assert "give one e-mail address or one webhook URL" in said(
        wierde(home, "indicators", "subscribe", "hernieuwbaar", code=2))
