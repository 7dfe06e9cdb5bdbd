"""Staff accounts: who may sign in, with which role and scopes; password checks that resist guessing; sessions."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from wierde.errors import Conflict, InvalidInput, NotFound, TooManyRequests, WierdeError
from wierde.protect.access import Kind, Principal
from wierde.protect.account_models import Account, AccountSession, SignInFailure, aware
from wierde.store.models import utcnow
from wierde.store.repository import Store

ROLES = ("employee", "steward", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")
SCOPE = re.compile(r"^[a-z0-9][a-z0-9._:/-]{0,99}$")
MIN_PASSWORD = 12  # NCSC advice: length beats composition rules
MAX_PASSWORD = 1024  # long enough for any passphrase; bounds the work one sign-in can cause
FAILURE_WINDOW = timedelta(minutes=15)
USER_LIMIT = 5  # failures per username per window
ADDRESS_LIMIT = 20  # per client address: higher, because a whole office may share one address
SESSION_LIFETIME = timedelta(hours=8)  # one working day; then sign in again
WRONG = "unknown username or wrong password"

# argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane): costly for a guesser, yet a burst of sign-ins
# cannot exhaust the server's memory the way the library's 64 MiB default could. Older hashes are upgraded on
# the next sign-in when these change (check_needs_rehash).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@cache
def _dummy_hash() -> str:
    """Checked against when the username is unknown, so an unknown name takes as long as a wrong password."""
    return _hasher.hash(secrets.token_urlsafe(16))


class Unauthorized(WierdeError):
    """Not (or no longer) signed in: unknown credentials, an expired or revoked token, a disabled account."""

    status = 401
    title = "Unauthorized"
    exit_code = 4

    def __init__(self, detail: str, *, reason: str = "") -> None:
        super().__init__(detail)
        self.reason = reason  # for the audit log only; never shown, so it cannot tell which usernames exist


class TooManyAttempts(TooManyRequests):
    """Too many failed sign-ins for this username or address; `retry_after` seconds until the next try counts."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} seconds")
        self.retry_after = retry_after


@dataclass(frozen=True)
class AccountRecord:
    id: int
    username: str
    display_name: str
    role: str
    scopes: frozenset[str]
    disabled: bool
    has_password: bool
    oidc: bool
    created_at: datetime
    last_sign_in_at: datetime | None

    @classmethod
    def of(cls, row: Account) -> AccountRecord:
        return cls(id=row.id, username=row.username, display_name=row.display_name, role=row.role,
                   scopes=frozenset(row.scopes or ()), disabled=row.disabled, has_password=bool(row.password_hash),
                   oidc=bool(row.oidc_subject), created_at=aware(row.created_at),
                   last_sign_in_at=aware(row.last_sign_in_at) if row.last_sign_in_at else None)

    def principal(self, purpose: str | None = None) -> Principal:
        return Principal(kind=cast(Kind, self.role), name=self.username, scopes=self.scopes, purpose=purpose)


# -- managing accounts ------------------------------------------------------------------------------------------
def normalise(username: str) -> str:
    return (username or "").strip().lower()


def check_username(username: str) -> str:
    name = normalise(username)
    if not USERNAME.match(name):
        raise InvalidInput(f"username {username!r} is not valid: 1-100 of a-z, 0-9, '.', '_', '@', '-'")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"role {role!r} is not one of {', '.join(ROLES)}")
    return role


def check_scopes(scopes: Iterable[str]) -> list[str]:
    cleaned = sorted({s.strip() for s in scopes if s.strip()})
    bad = [s for s in cleaned if not SCOPE.match(s)]
    if bad:
        raise InvalidInput(f"scopes {bad} are not valid: lower-case letters, digits and . _ : / -")
    return cleaned


def hash_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return _hasher.hash(password)


def create(store: Store, username: str, *, role: str = "employee", display_name: str | None = None,
           scopes: Iterable[str] = (), password: str | None = None, oidc_subject: str | None = None) -> AccountRecord:
    """A new account; without a password it can only sign in through OpenID Connect (or use tokens)."""
    name, role = check_username(username), check_role(role)
    row = Account(username=name, display_name=(display_name or name).strip()[:200], role=role,
                  scopes=check_scopes(scopes), password_hash=hash_password(password) if password else None,
                  oidc_subject=oidc_subject, disabled=False, created_at=utcnow())
    with store.session() as session:
        if session.scalar(select(Account.id).where(Account.username == name)) is not None:
            raise Conflict(f"an account {name!r} already exists")
        session.add(row)
        session.flush()
        return AccountRecord.of(row)


def get(store: Store, username: str) -> AccountRecord:
    with store.session() as session:
        row = session.scalar(select(Account).where(Account.username == normalise(username)))
        if row is None:
            raise NotFound(f"there is no account {username!r}")
        return AccountRecord.of(row)


def list_accounts(store: Store) -> list[AccountRecord]:
    with store.session() as session:
        return [AccountRecord.of(row) for row in session.scalars(select(Account).order_by(Account.username))]


def set_password(store: Store, username: str, password: str) -> AccountRecord:
    hashed = hash_password(password)
    with store.session() as session:
        row = _row(session, username)
        row.password_hash = hashed
        return AccountRecord.of(row)


def disable(store: Store, username: str) -> AccountRecord:
    """The account can no longer sign in; its open sessions end and its tokens stop working at once."""
    with store.session() as session:
        row = _row(session, username)
        row.disabled = True
        session.execute(update(AccountSession).where(AccountSession.account_id == row.id,
                                                     AccountSession.ended_at.is_(None)).values(ended_at=utcnow()))
        return AccountRecord.of(row)


def _row(session: Session, username: str) -> Account:
    row = session.scalar(select(Account).where(Account.username == normalise(username)))
    if row is None:
        raise NotFound(f"there is no account {username!r}")
    return row


# -- signing in with a password ---------------------------------------------------------------------------------
def verify(store: Store, username: str, password: str, *, client: str) -> AccountRecord:
    """The account, if the password is right and neither the username nor the address is locked out.

    Raises TooManyAttempts before any password is checked (a right password does not lift the lock), and
    Unauthorized with one message for unknown names, wrong passwords and disabled accounts alike.
    """
    name = normalise(username)
    keys = [f"user:{name}"[:300], f"addr:{client}"[:300]]
    now = utcnow()
    with store.session() as session:
        _check_limits(session, keys, now)
        row = session.scalar(select(Account).where(Account.username == name))
        found = AccountRecord.of(row) if row is not None else None
        stored_hash = row.password_hash if row is not None else None
    reason = _refusal(found, stored_hash, password)
    if reason:
        _record_failure(store, keys, now)
        raise Unauthorized(WRONG, reason=reason)
    assert found is not None and stored_hash is not None
    with store.session() as session:
        row = session.get(Account, found.id)
        assert row is not None
        if _hasher.check_needs_rehash(stored_hash):
            row.password_hash = _hasher.hash(password)
        row.last_sign_in_at = now
        # A right password clears the username's count; the address keeps its count, or one known account
        # would let an attacker reset the limit for guessing others.
        session.execute(delete(SignInFailure).where(SignInFailure.key == keys[0]))
        return AccountRecord.of(row)


def _refusal(found: AccountRecord | None, stored_hash: str | None, password: str) -> str:
    """Why this password does not sign in ('' when it does); always costs one argon2 check."""
    matched = False
    with suppress(VerificationError, InvalidHashError):
        matched = _hasher.verify(stored_hash or _dummy_hash(), password)
    if found is None:
        return "unknown user"
    if stored_hash is None:
        return "no password set"
    if not matched:
        return "wrong password"
    return "disabled" if found.disabled else ""


def _check_limits(session: Session, keys: list[str], now: datetime) -> None:
    since = now - FAILURE_WINDOW
    for key, limit in zip(keys, (USER_LIMIT, ADDRESS_LIMIT), strict=True):
        recent = session.scalars(select(SignInFailure.at).where(SignInFailure.key == key, SignInFailure.at > since)
                                 .order_by(SignInFailure.at.desc()).limit(limit)).all()
        if len(recent) >= limit:
            # The lock lifts when the limit-th newest failure leaves the window.
            free_at = aware(recent[limit - 1]) + FAILURE_WINDOW
            raise TooManyAttempts(max(1, int((free_at - now).total_seconds()) + 1))


def _record_failure(store: Store, keys: list[str], now: datetime) -> None:
    with store.session() as session:
        session.execute(delete(SignInFailure).where(SignInFailure.at < now - FAILURE_WINDOW))
        session.add_all([SignInFailure(key=key, at=now) for key in keys])


def failures(store: Store, key: str) -> int:
    """Failures counted now for one key ('user:<name>' or 'addr:<address>')."""
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(SignInFailure).where(
            SignInFailure.key == key, SignInFailure.at > utcnow() - FAILURE_WINDOW)) or 0)


# -- OpenID Connect ---------------------------------------------------------------------------------------------
def from_oidc(store: Store, *, issuer: str, subject: str, username: str, display_name: str,
              role: str | None) -> AccountRecord:
    """The account of an OpenID Connect user, created as `role` (default employee) on first sign-in.

    Users are matched on issuer + subject, never on a name the provider sends, so a provider account called
    'admin' does not become the local admin; a taken username gets a numbered suffix instead.
    """
    key = f"{issuer} {subject}"
    with store.session() as session:
        row = session.scalar(select(Account).where(Account.oidc_subject == key))
        if row is not None:
            row.display_name = display_name[:200] or row.display_name
            if role:
                row.role = check_role(role)
            row.last_sign_in_at = utcnow()
            return AccountRecord.of(row)
        base = _username_from(username or subject)
        name, n = base, 1
        while session.scalar(select(Account.id).where(Account.username == name)) is not None:
            n += 1
            name = f"{base[:95]}-{n}"
        row = Account(username=name, display_name=display_name[:200] or name, role=check_role(role or "employee"),
                      scopes=[], password_hash=None, oidc_subject=key, disabled=False, created_at=utcnow(),
                      last_sign_in_at=utcnow())
        session.add(row)
        session.flush()
        return AccountRecord.of(row)


def _username_from(text: str) -> str:
    name = re.sub(r"[^a-z0-9._@-]+", "-", normalise(text)).strip("-._@")[:100]
    return name or "oidc-user"


# -- sessions ---------------------------------------------------------------------------------------------------
def _sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def open_session(store: Store, account: AccountRecord, *, method: str, purpose: str | None = None) -> str:
    """A new signed-in session; returns its secret id (for the cookie), which is stored only as a hash."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    with store.session() as session:
        # Sessions long over are of no more use (sign-ins themselves are in the audit log).
        session.execute(delete(AccountSession).where(AccountSession.expires_at < now - SESSION_LIFETIME))
        session.add(AccountSession(id_hash=_sid_hash(sid), account_id=account.id, purpose=purpose or None,
                                   method=method, created_at=now, expires_at=now + SESSION_LIFETIME))
    return sid


def session_account(store: Store, sid: str) -> tuple[AccountRecord, str | None] | None:
    """The account and stated purpose of a live session; None once it ended, expired or its account is disabled."""
    with store.session() as session:
        found = session.execute(select(AccountSession, Account).join(Account, Account.id == AccountSession.account_id)
                                .where(AccountSession.id_hash == _sid_hash(sid))).first()
        if found is None:
            return None
        live, account = found
        if live.ended_at is not None or aware(live.expires_at) <= utcnow() or account.disabled:
            return None
        return AccountRecord.of(account), live.purpose


def end_session(store: Store, sid: str) -> None:
    with store.session() as session:
        session.execute(update(AccountSession).where(AccountSession.id_hash == _sid_hash(sid),
                                                     AccountSession.ended_at.is_(None)).values(ended_at=utcnow()))
