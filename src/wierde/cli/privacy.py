"""Commands that find and resolve personal data before anything is published."""

from wierde.cli.common import app  # noqa: F401
