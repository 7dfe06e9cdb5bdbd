"""Shared resources for routes, injected through `Annotated` aliases rather than globals."""

from __future__ import annotations

import hmac
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from wierde.protect import tokens
from wierde.protect.access import ANONYMOUS, Principal
from wierde.store.repository import Store
from wierde.web import session


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def principal_of(request: Request) -> Principal:
    """Who is asking, with the client's address: an API token (`Authorization: Bearer wrd_…`), the instance's
    legacy steward token, a signed-in browser session, or nobody. The purpose comes from `X-Purpose`, else from
    the session.

    A Wierde token that is unknown, expired or revoked is refused (401) rather than treated as anonymous, so a
    script notices; any other unknown bearer value is ignored, as before sign-in existed.
    """
    found = ANONYMOUS if _anonymous(request) else _who(request)
    address = request.client.host if request.client else None
    return replace(found, address=address) if address else found


# The dependencies are async so that FastAPI calls them on the event loop: a sync dependency costs a thread-pool
# hop per request. Only a request with credentials goes to a thread, for its database lookup.
async def get_store(request: Request) -> Store:
    return store_of(request)


async def get_principal(request: Request) -> Principal:
    if _anonymous(request):
        return principal_of(request)
    return await run_in_threadpool(principal_of, request)


def _anonymous(request: Request) -> bool:
    return "authorization" not in request.headers and session.COOKIE not in request.headers.get("cookie", "")


def _who(request: Request) -> Principal:
    purpose = request.headers.get("x-purpose") or None
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    given = given.strip()
    if scheme.lower() == "bearer" and given:
        if given.startswith(tokens.PREFIX):
            return tokens.authenticate(store_of(request), given, purpose)
        legacy = request.app.state.settings.admin_token
        if legacy and hmac.compare_digest(given.encode(), legacy.encode()):
            return Principal(kind="steward", name="token", purpose=purpose)
    if session.COOKIE in request.headers.get("cookie", ""):
        return session.principal(request) or ANONYMOUS
    return ANONYMOUS


StoreDep = Annotated[Store, Depends(get_store)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
