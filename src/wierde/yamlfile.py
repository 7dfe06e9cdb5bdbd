"""Reading the YAML files stewards write (views, indicators, metadata) with errors that point at the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from wierde.errors import InvalidInput


def read_yaml(path: Path, error: type[InvalidInput] = InvalidInput) -> Any:
    """The parsed file; a syntax error becomes `error` naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise error(f"{at}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
