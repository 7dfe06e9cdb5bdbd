"""Commands that manage who may sign in, their API tokens, and the audit log."""

from __future__ import annotations

import getpass
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from wierde.cli.common import Home, JsonOut, app, clear_errors, console, emit_json, err_console, open_store
from wierde.errors import InvalidInput
from wierde.store.repository import Store

users_app = typer.Typer(help="Staff accounts: who may sign in, with which role.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for scripts: scoped, expiring, revocable.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log: who did or saw what, when and why.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(audit_app, name="audit")

Scopes = Annotated[list[str], typer.Option("--scope", help="A scope (repeatable).")]
RELATIVE = re.compile(r"^(\d+)([mhdw])$")


def _log_change(store: Store, action: str, target: str, **detail: Any) -> None:
    """Changes made from the command line are audited too, as the operator on this machine."""
    from wierde.protect import audit

    audit.record(store, who="operator", kind="admin", action=action, target=target, client="cli",
                 purpose="local command line", detail={"os_user": getpass.getuser(), **detail})


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


# -- users ------------------------------------------------------------------------------------------------------
@users_app.command("add")
@clear_errors
def users_add(
    name: Annotated[str, typer.Argument(help="The username (lower case).")],
    role: Annotated[str, typer.Option("--role", help="employee, steward or admin.")] = "employee",
    display_name: Annotated[str | None, typer.Option("--display-name", help="Shown in the portal.")] = None,
    scope: Scopes = [],  # noqa: B006
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    home: Home = None,
) -> None:
    """Add an account; without --password-stdin it signs in through OpenID Connect only."""
    from wierde.protect import accounts

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    if password_stdin and not password:
        raise InvalidInput("--password-stdin: stdin gave no password")
    store = open_store(home)
    record = accounts.create(store, name, role=role, display_name=display_name, scopes=scope, password=password)
    _log_change(store, "account-create", record.username, role=record.role, scopes=sorted(record.scopes))
    console.print(f"Account [green]{record.username}[/] ({record.role}) added")


@users_app.command("list")
@clear_errors
def users_list(home: Home = None, as_json: JsonOut = False) -> None:
    """The accounts, their roles and whether they can sign in."""
    from wierde.protect import accounts

    rows: list[dict[str, Any]] = [
        {"username": a.username, "display_name": a.display_name, "role": a.role, "scopes": sorted(a.scopes),
         "disabled": a.disabled, "password": a.has_password, "oidc": a.oidc,
         "last_sign_in": a.last_sign_in_at.isoformat() if a.last_sign_in_at else None}
        for a in accounts.list_accounts(open_store(home))]
    if as_json:
        emit_json(rows)
        return
    table = Table("username", "name", "role", "scopes", "sign-in", "last sign-in")
    for r in rows:
        how = "disabled" if r["disabled"] else ", ".join(k for k in ("password", "oidc") if r[k]) or "-"
        table.add_row(str(r["username"]), str(r["display_name"]), str(r["role"]), " ".join(r["scopes"]) or "-", how,
                      str(r["last_sign_in"] or "-"))
    console.print(table)


@users_app.command("disable")
@clear_errors
def users_disable(name: str, home: Home = None) -> None:
    """Stop an account: it cannot sign in, its sessions end and its tokens stop working."""
    from wierde.protect import accounts

    store = open_store(home)
    record = accounts.disable(store, name)
    _log_change(store, "account-disable", record.username)
    console.print(f"Account [yellow]{record.username}[/] disabled")


# -- tokens -----------------------------------------------------------------------------------------------------
@tokens_app.command("create")
@clear_errors
def tokens_create(
    user: Annotated[str, typer.Option("--user", help="The account the token acts for.")],
    scope: Scopes = [],  # noqa: B006
    expires: Annotated[str, typer.Option("--expires", help="Lifetime: 90m, 12h, 30d or 2w (at most 366d).")] = "30d",
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "",
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Create a token and print it once; only its hash is kept, so copy it now."""
    from wierde.protect import tokens

    store = open_store(home)
    record, text = tokens.create(store, user, scopes=scope, expires_in=tokens.parse_duration(expires), name=name)
    _log_change(store, "token-create", f"token:{record.id}", owner=record.owner, scopes=sorted(record.scopes),
                expires_at=record.expires_at.isoformat())
    if as_json:
        emit_json({"id": record.id, "owner": record.owner, "scopes": sorted(record.scopes),
                   "expires_at": record.expires_at.isoformat(), "token": text})
        return
    err_console.print(f"Token {record.id} for {record.owner}, valid until {_when(record.expires_at)}; "
                      "it is shown only this once:", highlight=False)
    sys.stdout.write(text + "\n")


@tokens_app.command("list")
@clear_errors
def tokens_list(
    user: Annotated[str | None, typer.Option("--user", help="Only this account's tokens.")] = None,
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """The tokens (never their text): owner, scopes, expiry, last use."""
    from wierde.protect import tokens

    found = tokens.list_tokens(open_store(home), user)
    if as_json:
        emit_json([{"id": t.id, "owner": t.owner, "name": t.name, "scopes": sorted(t.scopes),
                    "created_at": t.created_at.isoformat(), "expires_at": t.expires_at.isoformat(),
                    "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                    "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None, "active": t.active}
                   for t in found])
        return
    table = Table("id", "owner", "name", "scopes", "expires", "last used", "state")
    for t in found:
        state = "revoked" if t.revoked_at else "active" if t.active else "expired"
        table.add_row(str(t.id), t.owner, t.name or "-", " ".join(sorted(t.scopes)) or "-", _when(t.expires_at),
                      _when(t.last_used_at), state)
    console.print(table)


@tokens_app.command("revoke")
@clear_errors
def tokens_revoke(token_id: Annotated[int, typer.Argument(help="The token's id (see `wierde tokens list`).")],
                  home: Home = None) -> None:
    """Revoke a token: it stops working at once."""
    from wierde.protect import tokens

    store = open_store(home)
    record = tokens.revoke(store, token_id)
    _log_change(store, "token-revoke", f"token:{record.id}", owner=record.owner)
    console.print(f"Token {record.id} of {record.owner} revoked")


# -- audit ------------------------------------------------------------------------------------------------------
def parse_since(text: str | None) -> datetime | None:
    """'7d', '12h' (ago) or an ISO date or time (UTC unless it says otherwise)."""
    if not text:
        return None
    relative = RELATIVE.match(text.strip())
    if relative:
        unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[relative.group(2)]
        return datetime.now(UTC) - timedelta(**{unit: int(relative.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"--since {text!r}: give 7d, 12h or an ISO date such as 2026-01-31") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@audit_app.command("search")
@clear_errors
def audit_search(
    who: Annotated[str | None, typer.Option("--who", help="Who acted (a username, or 'operator').")] = None,
    action: Annotated[str | None, typer.Option("--action", help="e.g. sign-in, read, publish.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="7d, 12h or an ISO date/time.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (the newest).")] = 200,
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Search the audit log."""
    from wierde.protect import audit

    found = audit.search(open_store(home), who=who, action=action, since=parse_since(since), limit=limit)
    if as_json:
        emit_json([e.as_json() for e in found])
        return
    table = Table("#", "when (UTC)", "who", "kind", "action", "target", "purpose", "outcome", "client")
    for e in found:
        table.add_row(str(e.seq), audit.stamp(e.at)[:19].replace("T", " "), e.who, e.kind, e.action, e.target,
                      e.purpose or "-", e.outcome, e.client or "-")
    console.print(table)


@audit_app.command("export")
@clear_errors
def audit_export(
    format: Annotated[str, typer.Option("--format", help="csv or ndjson.")] = "ndjson",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="A file; default stdout.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="7d, 12h or an ISO date/time.")] = None,
    home: Home = None,
) -> None:
    """Export the audit log (NDJSON keeps the hashes exact; CSV is for spreadsheets)."""
    from wierde.protect import audit

    if format not in ("csv", "ndjson"):
        raise InvalidInput(f"--format {format!r}: use csv or ndjson")
    store = open_store(home)
    if output is None:
        audit.export(store, sys.stdout, format, since=parse_since(since))
        return
    with output.open("w", encoding="utf-8", newline="") as handle:
        count = audit.export(store, handle, format, since=parse_since(since))
    err_console.print(f"{count} entries written to {output}", highlight=False)


@audit_app.command("verify")
@clear_errors
def audit_verify(home: Home = None) -> None:
    """Check the hash chain; exits non-zero and names the first broken entry when anything was changed."""
    from wierde.protect import audit

    broken = audit.verify_chain(open_store(home))
    if broken is None:
        console.print("[green]The audit log is intact.[/]")
        return
    err_console.print(f"[bold red]The audit log is broken at entry {broken.seq}:[/] {broken.reason}", highlight=False)
    raise typer.Exit(7)
