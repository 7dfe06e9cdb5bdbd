"""Prove that the audit log is append-only in effect: every edit, removal or cut-off tail is found, concurrent
writers (threads and separate workers) keep one chain, and admins can search and export it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tests.helpers import postgres
from wierde.cli import app
from wierde.config import Settings
from wierde.protect import audit
from wierde.protect.access import Principal
from wierde.store.repository import Store

runner = CliRunner()


def fill(store: Store, n: int = 5) -> list[audit.AuditRecord]:
    return [audit.record(store, who="marieke", kind="steward", action="read", target=f"dataset:bodem/v{i}",
                         purpose="Woo-verzoek 2026-17", client="10.0.0.1") for i in range(1, n + 1)]


def sql(store: Store, statement: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(statement))


def test_entries_chain_and_verify(store: Store) -> None:
    entries = fill(store)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    expected = hashlib.sha256(entries[2].prev_hash.encode() + entries[2].body()).hexdigest()
    assert entries[2].hash == expected
    assert audit.verify_chain(store) is None


def test_an_edited_entry_is_found(store: Store) -> None:
    fill(store)
    sql(store, "UPDATE audit_log SET purpose = 'nieuwsgierigheid' WHERE seq = 3")
    broken = audit.verify_chain(store)
    assert broken is not None and broken.seq == 3 and "edited" in broken.reason
    assert broken.entry is not None and broken.entry.purpose == "nieuwsgierigheid"


def test_rehashing_an_edit_breaks_the_next_link(store: Store) -> None:
    fill(store)
    forged = audit.search(store)[1]
    forged = audit.AuditRecord(**{**forged.__dict__, "who": "iemand-anders"})
    sql(store, f"UPDATE audit_log SET who = 'iemand-anders', hash = '{forged.expected_hash()}' WHERE seq = 2")
    broken = audit.verify_chain(store)
    assert broken is not None and broken.seq == 3


def test_removed_entries_are_found(store: Store) -> None:
    fill(store)
    sql(store, "DELETE FROM audit_log WHERE seq = 2")
    broken = audit.verify_chain(store)
    assert broken is not None and broken.seq == 2 and "missing" in broken.reason


def test_a_cut_off_tail_is_found(store: Store) -> None:
    fill(store)
    sql(store, "DELETE FROM audit_log WHERE seq >= 4")
    broken = audit.verify_chain(store)
    assert broken is not None and broken.seq == 5 and "newest" in broken.reason


def test_concurrent_appends_from_two_workers_keep_one_chain(store: Store) -> None:
    other = Store.open(store.settings)  # a second worker: its own engine and connections on the same file
    errors: list[BaseException] = []

    def write(target: Store, who: str) -> None:
        try:
            for i in range(15):
                audit.record(target, who=who, kind="employee", action="read", target=f"dataset:x/{i}")
        except BaseException as error:  # reported below, in the test thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(s, f"w{n}")) for n, s in enumerate((store, other, store, other))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.close()
    assert errors == []
    entries = audit.search(store, limit=None)
    assert [e.seq for e in entries] == list(range(1, 61)), "no entry lost, none twice"
    assert audit.verify_chain(store) is None


def test_search_by_who_action_and_time(store: Store) -> None:
    fill(store, 2)
    audit.record_for(store, Principal(kind="admin", name="beheer", purpose="controle"), "publish",
                     target="dataset:bodem")
    assert [e.who for e in audit.search(store, action="publish")] == ["beheer"]
    assert audit.search(store, action="publish")[0].purpose == "controle"
    assert len(audit.search(store, who="marieke")) == 2
    assert audit.search(store, since=datetime.now(UTC) + timedelta(minutes=1)) == []
    assert len(audit.search(store, since=datetime.now(UTC) - timedelta(minutes=5))) == 3
    assert [e.seq for e in audit.search(store, limit=2)] == [2, 3], "the newest, oldest first"


def test_exports_ndjson_that_reverifies_and_csv_without_formulas(store: Store) -> None:
    fill(store, 2)
    audit.record(store, who="=HYPERLINK(\"http://evil\")", kind="anonymous", action="sign-in", outcome="failure")
    lines = io.StringIO()
    assert audit.export(store, lines, "ndjson") == 3
    previous = audit.GENESIS
    for line in lines.getvalue().splitlines():
        row = json.loads(line)
        body = {k: v for k, v in row.items() if k not in ("prev_hash", "hash")}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert row["prev_hash"] == previous
        assert hashlib.sha256(previous.encode() + canonical).hexdigest() == row["hash"], "checkable outside Wierde"
        previous = row["hash"]
    table = io.StringIO()
    audit.export(store, table, "csv")
    rows = list(csv.DictReader(io.StringIO(table.getvalue())))
    assert rows[2]["who"].startswith("'="), "a spreadsheet shows it as text instead of running it"
    assert rows[0]["purpose"] == "Woo-verzoek 2026-17"


def test_audit_commands(tmp_path: Path) -> None:
    home = tmp_path / "inst"
    store = Store.open(Settings(home=home))
    fill(store, 3)
    found = runner.invoke(app, ["audit", "search", "--who", "marieke", "--since", "1d", "--json", "--home", str(home)])
    assert found.exit_code == 0, found.output
    assert [e["target"] for e in json.loads(found.output)] == ["dataset:bodem/v1", "dataset:bodem/v2",
                                                                "dataset:bodem/v3"]
    out = tmp_path / "audit.csv"
    exported = runner.invoke(app, ["audit", "export", "--format", "csv", "-o", str(out), "--home", str(home)])
    assert exported.exit_code == 0 and len(out.read_text(encoding="utf-8").splitlines()) == 4
    assert runner.invoke(app, ["audit", "verify", "--home", str(home)]).exit_code == 0
    sql(store, "UPDATE audit_log SET target = 'dataset:iets-anders' WHERE seq = 2")
    store.close()
    broken = runner.invoke(app, ["audit", "verify", "--home", str(home)])
    assert broken.exit_code != 0 and "entry 2" in broken.output


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    if not postgres.available():
        pytest.fail("PostgreSQL 15 is not installed: `make test-setup` installs it")
    with postgres.cluster() as url:
        yield url


@pytest.mark.slow
def test_concurrent_appends_keep_one_chain_on_postgres(pg_url: str, tmp_path: Path) -> None:
    stores = [Store.open(Settings(home=tmp_path / f"w{n}", database_url=pg_url)) for n in range(2)]
    threads = [threading.Thread(target=lambda s=s: [audit.record(s, who="w", kind="employee", action="read")
                                                    for _ in range(15)]) for s in stores * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [e.seq for e in audit.search(stores[0], limit=None)] == list(range(1, 61))
    assert audit.verify_chain(stores[0]) is None
    for s in stores:
        s.close()
