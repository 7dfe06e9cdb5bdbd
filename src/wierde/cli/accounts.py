"""Commands that manage who may sign in, their API tokens, and the audit log."""

from wierde.cli.common import app  # noqa: F401
