"""The `wierde` command: what a data steward types to run an instance, load data and publish it."""

from wierde.cli import data, harvest, instance, server  # noqa: F401  (each module registers its commands on `app`)
from wierde.cli.common import app

__all__ = ["app"]
