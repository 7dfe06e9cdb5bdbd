"""Prove that the live sources of `wierde demo --live` are valid sources for known connectors (checked offline), and
that live mode installs and harvests a sources file when its hosts answer, and falls back to the bundle when not.

No test here touches the network: the online case harvests from a real HTTP server on 127.0.0.1, and the offline
case points at a port on 127.0.0.1 where nothing listens.
"""

from __future__ import annotations

import importlib
import pkgutil
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from typer.testing import CliRunner

from tests.helpers.replay import Reply, misbehaving_server
from wierde import hookspecs
from wierde.cli import app
from wierde.cli.server import add_live_sources, builtin_live_sources, read_sources
from wierde.collect import connectors, schedule
from wierde.collect.connectors import cbs_common, knmi
from wierde.collect.harvest import load_sources
from wierde.config import Settings
from wierde.store import harvest_log
from wierde.store.repository import Store

KNMI_CSV = Path(__file__).parents[1] / "collect" / "knmi_fixtures" / "all_induced_excerpt.csv"
BUNDLE_IDS = {"aardbevingen", "bevolking", "bruggen", "brugopeningen", "buurten", "energie", "gemeenten", "hoogte",
              "meetpunten-verkeer", "migratie", "postcodes", "recreatiegebieden", "scheepvaartpassages",
              "verkeerstellingen", "wijken", "woningen"}


def register_every_connector() -> None:
    """Import every module of the connectors package, so each built-in registers whether or not it is wired yet."""
    for module in pkgutil.iter_modules(connectors.__path__):
        importlib.import_module(f"{connectors.__name__}.{module.name}")


def test_the_builtin_live_sources_are_valid_sources_of_known_connectors() -> None:
    register_every_connector()
    sources = read_sources(builtin_live_sources())

    assert {s.connector for s in sources} >= {"cbs-odata-v3", "cbs-odata-v4", "regions", "ndw-datex2", "knmi"}
    assert all(s.connector in hookspecs.known_connectors() for s in sources)
    assert len({s.id for s in sources}) == len(sources) and len({s.dataset for s in sources}) == len(sources)
    assert not {s.dataset for s in sources} & BUNDLE_IDS, "live data sits beside the synthetic bundle, never over it"
    for source in sources:
        assert urlsplit(source.url).scheme == "https", source.id
        assert source.schedule and schedule.interval(source.schedule), source.id
        assert source.deadline_seconds <= 3600, source.id


def test_the_builtin_live_sources_params_are_ones_their_connectors_accept() -> None:
    register_every_connector()
    from wierde.collect.connectors import regions

    for source in read_sources(builtin_live_sources()):
        if source.connector.startswith("cbs-odata"):
            options = cbs_common.parse_options(source.params, source.connector, extra=("dataset",))
            assert all(r[:2] in ("GM", "WK", "BU", "PV") for r in options.regions), source.id
        elif source.connector == "knmi":
            knmi.parse_options(source.params)
        elif source.connector == "regions":
            assert regions.parse_options(source.params).province == "PV20"
        elif source.connector == "ndw-datex2":
            assert set(source.params) <= {"prefix", "sites"}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again on leaving: nothing listens there


def write_sources(path: Path, base: str) -> Path:
    sources = [
        {"id": "knmi-live", "connector": "knmi", "url": f"{base}/all_induced.csv", "dataset": "knmi-aardbevingen",
         "schedule": "daily"},
        {"id": "tellingen-live", "connector": "http", "url": f"{base}/tellingen.csv", "dataset": "tellingen",
         "schedule": "hourly"},
        # 503 again and again: its deadline ends the retries (the default fetcher backs off for seconds)
        {"id": "kapot-live", "connector": "http", "url": f"{base}/kapot.csv", "dataset": "kapot",
         "deadline_seconds": 1.5},
    ]
    path.write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
    return path


def serve(path: str) -> Reply | None:
    if path == "/all_induced.csv":
        return Reply(body=KNMI_CSV.read_bytes(), content_type="text/csv")
    if path == "/tellingen.csv":
        return Reply(body=b"telpunt,aantal\nA,10\nB,12\n", content_type="text/csv")
    return Reply(503, body=b"onderhoud")


def test_online_the_sources_are_installed_harvested_and_published(store: Store, tmp_path: Path, capsys) -> None:
    with misbehaving_server(serve) as served:
        add_live_sources(store, write_sources(tmp_path / "live.yaml", served.base))

    out = capsys.readouterr().out
    assert "Live sources: 2 harvested and published, 1 failed" in out and "kapot-live" in out
    assert [s.id for s in load_sources(store.settings)] == ["knmi-live", "tellingen-live", "kapot-live"]
    assert store.dataset("knmi-aardbevingen").status == "published"
    assert store.version("tellingen").row_count == 2
    assert harvest_log.history(store, source="kapot-live")[0].outcome == "failed"


def test_offline_nothing_is_installed_and_the_demo_says_so(store: Store, tmp_path: Path, capsys) -> None:
    add_live_sources(store, write_sources(tmp_path / "live.yaml", f"http://127.0.0.1:{closed_port()}"))
    out = capsys.readouterr().out
    assert "Offline:" in out and "synthetic bundle only" in out
    assert load_sources(store.settings) == []
    assert harvest_log.history(store) == []


def test_a_sources_file_with_an_unknown_connector_is_refused_before_any_fetch(tmp_path: Path) -> None:
    path = tmp_path / "live.yaml"
    path.write_text(yaml.safe_dump({"sources": [{"id": "x", "connector": "gopher", "url": "https://x.example/",
                                                 "dataset": "x"}]}), encoding="utf-8")
    from wierde.errors import InvalidInput

    with pytest.raises(InvalidInput, match="unknown connector 'gopher'"):
        read_sources(path)


@pytest.mark.slow  # builds the whole demo bundle first
def test_wierde_demo_live_builds_the_bundle_and_adds_the_live_datasets(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    with misbehaving_server(serve) as served:
        result = CliRunner().invoke(app, ["demo", "--home", str(home), "--build-only", "--live-sources",
                                          str(write_sources(tmp_path / "live.yaml", served.base))])
    assert result.exit_code == 0, result.output
    store = Store.open(Settings.load(home))
    try:
        published = {d.id for d in store.datasets() if d.status == "published"}
        assert {"aardbevingen", "knmi-aardbevingen", "tellingen"} <= published
        assert "kapot" not in published
    finally:
        store.close()
