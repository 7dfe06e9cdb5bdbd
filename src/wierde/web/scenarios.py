"""The province's two questions answered as portal pages: bridges and traffic, and where to build."""

from fastapi import APIRouter

router = APIRouter()
