"""Prove that API tokens work for scripts and fail safely: hashed at rest, scoped no wider than their owner,
expired and revoked tokens refused with 401, and the text shown only once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from wierde.app import create_app
from wierde.cli import app
from wierde.config import Settings
from wierde.errors import InvalidInput
from wierde.protect import accounts, tokens
from wierde.protect.account_models import Account, ApiToken
from wierde.store.models import utcnow
from wierde.store.repository import Store

runner = CliRunner()
MONTH = timedelta(days=30)


@pytest.fixture
def owner(store: Store) -> accounts.AccountRecord:
    return accounts.create(store, "marieke", role="steward", scopes=["bodem", "zorg"])


@pytest.fixture
def client(store: Store, owner: accounts.AccountRecord) -> Iterator[TestClient]:
    with TestClient(create_app(store.settings.with_(scheduler=False), store)) as test_client:
        yield test_client


def bearer(text: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {text}"}


def test_a_token_stands_for_its_owner_with_its_own_scopes(store: Store, owner: accounts.AccountRecord) -> None:
    record, text = tokens.create(store, "marieke", scopes=["bodem"], expires_in=MONTH, name="nachtelijke export")
    assert text.startswith("wrd_") and len(text) > 40
    principal = tokens.authenticate(store, text, purpose="monitoring")
    assert (principal.kind, principal.name, principal.scopes, principal.purpose) == (
        "token", "marieke", frozenset({"bodem"}), "monitoring")
    assert record.active and record.name == "nachtelijke export"
    assert tokens.list_tokens(store)[0].last_used_at is not None, "use is recorded"


def test_a_token_never_has_more_than_its_owner(store: Store, owner: accounts.AccountRecord) -> None:
    with pytest.raises(InvalidInput, match="cannot have more"):
        tokens.create(store, "marieke", scopes=["bodem", "belastingen"], expires_in=MONTH)
    _record, text = tokens.create(store, "marieke", scopes=["bodem", "zorg"], expires_in=MONTH)
    with store.session() as session:  # the owner loses a scope later
        session.execute(update(Account).where(Account.username == "marieke").values(scopes=["zorg"]))
    assert tokens.authenticate(store, text).scopes == frozenset({"zorg"})


def test_the_token_text_is_nowhere_in_the_database(store: Store, owner: accounts.AccountRecord) -> None:
    record, text = tokens.create(store, "marieke", scopes=[], expires_in=MONTH)
    tokens.authenticate(store, text)
    secret = text.removeprefix("wrd_")
    stored = b"".join(p.read_bytes() for p in store.settings.home.glob("wierde.db*"))  # with the WAL file
    assert secret.encode() not in stored and secret[:12].encode() not in stored
    assert tokens.digest(text).encode() in stored, "only the SHA-256 is kept"
    assert secret not in repr(tokens.list_tokens(store)) and record.id == 1


def test_expired_revoked_and_unknown_tokens_get_401(store: Store, client: TestClient) -> None:
    _old, expired = tokens.create(store, "marieke", scopes=[], expires_in=MONTH)
    _r, revoked = tokens.create(store, "marieke", scopes=[], expires_in=MONTH)
    _g, good = tokens.create(store, "marieke", scopes=[], expires_in=MONTH)
    with store.session() as session:
        session.execute(update(ApiToken).where(ApiToken.id == 1).values(expires_at=utcnow() - timedelta(seconds=1)))
    tokens.revoke(store, 2)
    assert client.get("/api/v1/datasets", headers=bearer(good)).status_code == 200
    for text, why in ((expired, "expired"), (revoked, "revoked"), ("wrd_" + "x" * 43, "unknown")):
        response = client.get("/api/v1/datasets", headers=bearer(text))
        assert response.status_code == 401, why
        assert response.headers["content-type"] == "application/problem+json"
        assert why in response.json()["detail"]


def test_a_disabled_owner_disables_the_token(store: Store, client: TestClient) -> None:
    _record, text = tokens.create(store, "marieke", scopes=[], expires_in=MONTH)
    accounts.disable(store, "marieke")
    assert client.get("/api/v1/datasets", headers=bearer(text)).status_code == 401


def test_lifetimes_are_bounded() -> None:
    assert tokens.parse_duration("30d") == timedelta(days=30)
    assert tokens.parse_duration("12h") == timedelta(hours=12)
    for bad in ("forever", "0d", "400d", "-1d"):
        with pytest.raises(InvalidInput):
            tokens.parse_duration(bad)


def test_tokens_commands(tmp_path: Path) -> None:
    home = str(tmp_path / "inst")
    assert runner.invoke(app, ["users", "add", "marieke", "--scope", "bodem", "--home", home]).exit_code == 0
    created = runner.invoke(app, ["tokens", "create", "--user", "marieke", "--scope", "bodem", "--expires", "7d",
                                  "--home", home])
    assert created.exit_code == 0, created.output
    text = created.stdout.strip().splitlines()[-1]
    assert text.startswith("wrd_")
    listed = runner.invoke(app, ["tokens", "list", "--json", "--home", home])
    assert text not in listed.output
    assert [(t["id"], t["owner"], t["scopes"], t["active"]) for t in json.loads(listed.output)] == [
        (1, "marieke", ["bodem"], True)]
    assert runner.invoke(app, ["tokens", "revoke", "1", "--home", home]).exit_code == 0
    store = Store.open(Settings.load(home))
    with pytest.raises(accounts.Unauthorized, match="revoked"):
        tokens.authenticate(store, text)
    store.close()
    too_wide = runner.invoke(app, ["tokens", "create", "--user", "marieke", "--scope", "zorg", "--home", home])
    assert too_wide.exit_code == InvalidInput.exit_code


def test_an_admins_token_may_carry_any_scope_but_only_those_it_names(store: Store) -> None:
    accounts.create(store, "beheer", role="admin")
    _record, text = tokens.create(store, "beheer", scopes=["verkeer.intern"], expires_in=MONTH)
    principal = tokens.authenticate(store, text)
    assert principal.kind == "token" and principal.scopes == frozenset({"verkeer.intern"})
    assert principal.has_scope("verkeer.intern") and not principal.has_scope("zorg"), "a token is no admin"
