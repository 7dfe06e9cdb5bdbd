"""The `wierde` command: what a data steward types to run an instance, load data and publish it."""

from wierde.cli import (  # noqa: F401  (each module registers its commands)
    accounts,
    classify,
    data,
    gate,
    harvest,
    indicators,
    instance,
    privacy,
    server,
    views,
)
from wierde.cli.common import app

__all__ = ["app"]
