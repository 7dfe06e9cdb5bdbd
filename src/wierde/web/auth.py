"""Sign-in and sign-out for staff: local accounts and OpenID Connect, sessions and CSRF."""

from fastapi import APIRouter

router = APIRouter()
