"""The API of views: list, show, define and refresh datasets computed from other datasets."""

from fastapi import APIRouter

router = APIRouter()
