"""Prove that local accounts keep passwords safe, resist guessing (per username and per address, across
workers), and that OpenID Connect users never take over a local account."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from wierde.cli import app
from wierde.config import Settings
from wierde.errors import Conflict, InvalidInput
from wierde.protect import accounts, audit
from wierde.store.repository import Store

PASSWORD = "correct-paard-batterij-niet"
runner = CliRunner()


def test_right_password_signs_in_and_wrong_ones_do_not(store: Store) -> None:
    accounts.create(store, "Marieke", role="steward", display_name="Marieke de Vries", password=PASSWORD)
    record = accounts.verify(store, "marieke", PASSWORD, client="10.0.0.1")
    assert (record.username, record.role, record.display_name) == ("marieke", "steward", "Marieke de Vries")
    assert record.last_sign_in_at is not None and record.principal().kind == "steward"
    with pytest.raises(accounts.Unauthorized) as wrong:
        accounts.verify(store, "marieke", PASSWORD + "x", client="10.0.0.1")
    with pytest.raises(accounts.Unauthorized) as unknown:
        accounts.verify(store, "niemand", PASSWORD, client="10.0.0.1")
    assert wrong.value.detail == unknown.value.detail, "the message does not tell which usernames exist"
    assert (wrong.value.reason, unknown.value.reason) == ("wrong password", "unknown user")


def test_passwords_are_stored_as_argon2id_hashes_only(store: Store) -> None:
    accounts.create(store, "jan", password=PASSWORD)
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM accounts")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    database = b"".join(p.read_bytes() for p in store.settings.home.glob("wierde.db*"))
    assert PASSWORD.encode() not in database


def test_accounts_are_checked_when_made(store: Store) -> None:
    accounts.create(store, "jan", password=PASSWORD)
    with pytest.raises(Conflict):
        accounts.create(store, "JAN", password=PASSWORD)
    with pytest.raises(InvalidInput, match="role"):
        accounts.create(store, "piet", role="koning")
    with pytest.raises(InvalidInput, match="12 to 1024 characters"):
        accounts.create(store, "piet", password="kort")
    with pytest.raises(InvalidInput, match="username"):
        accounts.create(store, "../piet")


def test_a_disabled_account_cannot_sign_in(store: Store) -> None:
    accounts.create(store, "jan", password=PASSWORD)
    accounts.disable(store, "jan")
    with pytest.raises(accounts.Unauthorized) as refused:
        accounts.verify(store, "jan", PASSWORD, client="10.0.0.1")
    assert refused.value.reason == "disabled"


def test_five_failures_lock_the_username_even_for_the_right_password(store: Store) -> None:
    accounts.create(store, "jan", password=PASSWORD)
    for n in range(accounts.USER_LIMIT):
        with pytest.raises(accounts.Unauthorized):
            accounts.verify(store, "jan", f"fout-{n}", client=f"10.0.0.{n}")
    with pytest.raises(accounts.TooManyAttempts) as locked:
        accounts.verify(store, "jan", PASSWORD, client="10.9.9.9")
    assert 14 * 60 < locked.value.retry_after <= 15 * 60 + 1
    # Another worker (its own engine on the same database) sees the same lock.
    other = Store.open(store.settings)
    try:
        with pytest.raises(accounts.TooManyAttempts):
            accounts.verify(other, "jan", PASSWORD, client="10.9.9.9")
    finally:
        other.close()


def test_one_address_guessing_many_usernames_is_locked(store: Store) -> None:
    accounts.create(store, "jan", password=PASSWORD)
    for n in range(accounts.ADDRESS_LIMIT):
        with pytest.raises(accounts.Unauthorized):
            accounts.verify(store, f"gok{n}", "fout", client="192.0.2.7")
    with pytest.raises(accounts.TooManyAttempts):
        accounts.verify(store, "jan", PASSWORD, client="192.0.2.7")
    assert accounts.verify(store, "jan", PASSWORD, client="192.0.2.8").username == "jan", "other addresses go on"


def test_a_right_password_clears_the_username_count(store: Store) -> None:
    accounts.create(store, "jan", password=PASSWORD)
    for _ in range(accounts.USER_LIMIT - 1):
        with pytest.raises(accounts.Unauthorized):
            accounts.verify(store, "jan", "fout", client="10.0.0.1")
    accounts.verify(store, "jan", PASSWORD, client="10.0.0.1")
    assert accounts.failures(store, "user:jan") == 0
    assert accounts.failures(store, "addr:10.0.0.1") == accounts.USER_LIMIT - 1


def test_oidc_users_are_matched_by_subject_and_never_take_a_local_name(store: Store) -> None:
    accounts.create(store, "admin", role="admin", password=PASSWORD)
    first = accounts.from_oidc(store, issuer="https://id.example", subject="42", username="admin",
                               display_name="Iemand", role=None)
    assert (first.username, first.role, first.has_password) == ("admin-2", "employee", False)
    again = accounts.from_oidc(store, issuer="https://id.example", subject="42", username="admin",
                               display_name="Iemand Anders", role="steward")
    assert (again.id, again.display_name, again.role) == (first.id, "Iemand Anders", "steward")
    assert accounts.get(store, "admin").role == "admin"


def test_sessions_end_on_sign_out_and_on_disable(store: Store) -> None:
    record = accounts.create(store, "jan", password=PASSWORD)
    sid = accounts.open_session(store, record, method="password", purpose="toezicht")
    found = accounts.session_account(store, sid)
    assert found is not None and found[0].username == "jan" and found[1] == "toezicht"
    accounts.end_session(store, sid)
    assert accounts.session_account(store, sid) is None
    second = accounts.open_session(store, record, method="password")
    accounts.disable(store, "jan")
    assert accounts.session_account(store, second) is None


def test_users_commands(tmp_path: Path) -> None:
    home = str(tmp_path / "inst")
    added = runner.invoke(app, ["users", "add", "marieke", "--role", "steward", "--display-name", "Marieke",
                                "--scope", "bodem", "--password-stdin", "--home", home], input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["users", "list", "--json", "--home", home])
    assert json.loads(listed.output)[0] | {"last_sign_in": None} == {
        "username": "marieke", "display_name": "Marieke", "role": "steward", "scopes": ["bodem"],
        "disabled": False, "password": True, "oidc": False, "last_sign_in": None}
    assert runner.invoke(app, ["users", "disable", "marieke", "--home", home]).exit_code == 0
    twice = runner.invoke(app, ["users", "add", "marieke", "--home", home])
    assert twice.exit_code == Conflict.exit_code and "already exists" in twice.output
    store = Store.open(Settings.load(home))
    assert accounts.get(store, "marieke").disabled
    assert [e.action for e in audit.search(store)] == ["account-create", "account-disable"]
    assert PASSWORD not in json.dumps([e.as_json() for e in audit.search(store)])
    store.close()
