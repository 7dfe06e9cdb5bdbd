"""`python -m wierde` runs the command line."""

from wierde.cli import app

app(prog_name="wierde")
