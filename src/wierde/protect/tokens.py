"""API tokens for scripts: scoped, expiring and revocable, and useless to whoever reads the database."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from wierde.errors import InvalidInput, NotFound
from wierde.protect import accounts
from wierde.protect.access import Principal
from wierde.protect.account_models import Account, ApiToken, aware
from wierde.store.models import utcnow
from wierde.store.repository import Store

PREFIX = "wrd_"
MAX_LIFETIME = timedelta(days=366)
LAST_USED_STEP = timedelta(minutes=1)  # record use at most this often: no database write on every API call
DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


@dataclass(frozen=True)
class TokenRecord:
    """What may be shown about a token: never its text."""

    id: int
    owner: str
    name: str
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()

    @classmethod
    def of(cls, row: ApiToken, owner: str) -> TokenRecord:
        return cls(id=row.id, owner=owner, name=row.name, scopes=frozenset(row.scopes or ()),
                   created_at=aware(row.created_at), expires_at=aware(row.expires_at),
                   revoked_at=aware(row.revoked_at) if row.revoked_at else None,
                   last_used_at=aware(row.last_used_at) if row.last_used_at else None)


def parse_duration(text: str) -> timedelta:
    """'30d', '12h', '2w', '90m' → a timedelta within MAX_LIFETIME."""
    match = DURATION.match(text or "")
    if not match:
        raise InvalidInput(f"duration {text!r} is not valid: a number and m, h, d or w, e.g. 30d")
    duration = int(match.group(1)) * UNITS[match.group(2)]
    if not timedelta(0) < duration <= MAX_LIFETIME:
        raise InvalidInput(f"a token lives between 1 minute and {MAX_LIFETIME.days} days")
    return duration


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def create(store: Store, username: str, *, scopes: Iterable[str], expires_in: timedelta,
           name: str = "") -> tuple[TokenRecord, str]:
    """A new token for an account and its text, which is shown this once and never stored."""
    wanted = set(accounts.check_scopes(scopes))
    if not timedelta(0) < expires_in <= MAX_LIFETIME:
        raise InvalidInput(f"a token lives between 1 minute and {MAX_LIFETIME.days} days")
    owner = accounts.get(store, username)
    if owner.disabled:
        raise InvalidInput(f"account {owner.username!r} is disabled")
    beyond = sorted(wanted - owner.scopes) if owner.role != "admin" else []  # admins hold every scope
    if beyond:
        raise InvalidInput(f"account {owner.username!r} does not have the scopes {beyond}; a token cannot have more")
    text = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(account_id=owner.id, token_hash=digest(text), name=name.strip()[:200], scopes=sorted(wanted),
                   created_at=now, expires_at=now + expires_in)
    with store.session() as session:
        session.add(row)
        session.flush()
        return TokenRecord.of(row, owner.username), text


def list_tokens(store: Store, username: str | None = None) -> list[TokenRecord]:
    query = select(ApiToken, Account.username).join(Account, Account.id == ApiToken.account_id).order_by(ApiToken.id)
    if username:
        query = query.where(Account.username == accounts.normalise(username))
    with store.session() as session:
        return [TokenRecord.of(row, owner) for row, owner in session.execute(query)]


def revoke(store: Store, token_id: int) -> TokenRecord:
    with store.session() as session:
        found = session.execute(select(ApiToken, Account.username).join(Account, Account.id == ApiToken.account_id)
                                .where(ApiToken.id == token_id)).first()
        if found is None:
            raise NotFound(f"there is no token {token_id}")
        row, owner = found
        row.revoked_at = row.revoked_at or utcnow()
        return TokenRecord.of(row, owner)


def authenticate(store: Store, text: str, purpose: str | None = None) -> Principal:
    """The principal a bearer token stands for: kind 'token', its owner's name, and the token's scopes as far as
    the owner still has them. Raises Unauthorized for unknown, expired and revoked tokens and disabled owners."""
    if not text.startswith(PREFIX):
        raise accounts.Unauthorized("not a Wierde API token", reason="malformed")
    now = utcnow()
    with store.session() as session:
        found = session.execute(select(ApiToken, Account).join(Account, Account.id == ApiToken.account_id)
                                .where(ApiToken.token_hash == digest(text))).first()
        if found is None:
            raise accounts.Unauthorized("unknown API token", reason="unknown")
        row, owner = found
        refusal = ("revoked" if row.revoked_at is not None else "expired" if aware(row.expires_at) <= now
                   else "owner disabled" if owner.disabled else "")
        if refusal:
            raise accounts.Unauthorized(f"this API token is {refusal}", reason=refusal)
        if row.last_used_at is None or now - aware(row.last_used_at) >= LAST_USED_STEP:
            row.last_used_at = now
        scopes = frozenset(row.scopes or ())
        if owner.role != "admin":  # an owner who lost a scope takes it from the token too
            scopes &= frozenset(owner.scopes or ())
        return Principal(kind="token", name=owner.username, scopes=scopes, purpose=purpose)
