"""Shared resources for routes, injected through `Annotated` aliases rather than globals."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from wierde.protect.access import ANONYMOUS, Principal
from wierde.store.repository import Store


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_principal(request: Request) -> Principal:
    """Anonymous, unless the request carries the instance's steward token (full sign-in comes later)."""
    token = request.app.state.settings.admin_token
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode()):
        return Principal(kind="steward", name="token", purpose=request.headers.get("x-purpose"))
    return ANONYMOUS


StoreDep = Annotated[Store, Depends(get_store)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
