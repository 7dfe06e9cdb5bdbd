"""Commands that define, refresh and check views: datasets computed from other datasets."""

from wierde.cli.common import app  # noqa: F401
