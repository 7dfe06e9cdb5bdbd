"""Shared resources for routes, injected through `Annotated` aliases rather than globals."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from wierde.protect.access import ANONYMOUS, Principal
from wierde.store.repository import Store


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_principal(request: Request) -> Principal:
    # Sign-in arrives with the protect issue; until then every request is anonymous.
    return ANONYMOUS


StoreDep = Annotated[Store, Depends(get_store)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
