"""Map layers for the portal: large geodata served simplified per zoom, region-keyed data as choropleths."""

from fastapi import APIRouter

router = APIRouter()
