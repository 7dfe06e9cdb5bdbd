"""The `wierde` command: what a data steward types to run an instance, load data and publish it."""

from wierde.cli import accounts, data, harvest, instance, privacy, server, views  # noqa: F401  (each registers its commands)
from wierde.cli.common import app

__all__ = ["app"]
