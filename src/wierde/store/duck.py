"""DuckDB connections with the spatial and fts extensions loaded from their PyPI wheels, never downloaded."""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

import duckdb

EXTENSIONS = ("spatial", "fts")
# GDAL's prefetching GeoPackage reader in spatial 1.5.5 corrupts or crashes about one read in a hundred; the base
# implementation does not. GDAL reads this when a file is opened, so every connection gets it.
GDAL_SAFE = {"OGR_GPKG_STREAM_BASE_IMPL": "YES"}


def extension_path(name: str, version: str) -> Path:
    """Where the `duckdb-extension-<name>` wheel keeps the binary built for this DuckDB version."""
    root = importlib.resources.files(f"duckdb_extension_{name}")
    return Path(str(root / "extensions" / version / f"{name}.duckdb_extension"))


def connect(
    database: str = ":memory:",
    *,
    extensions: tuple[str, ...] = EXTENSIONS,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open DuckDB with autoinstall off, so a missing extension fails loudly instead of reaching the network."""
    for key, value in GDAL_SAFE.items():
        os.environ.setdefault(key, value)
    config: dict[str, str | bool | int | float | list[str]] = {
        "autoinstall_known_extensions": False, "preserve_insertion_order": True,
    }
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    if temp_directory:
        config["temp_directory"] = str(temp_directory)
    con = duckdb.connect(database, config=config)
    version = con.sql("PRAGMA version").fetchone()[0]  # type: ignore[index]
    for name in extensions:
        con.load_extension(str(extension_path(name, version)))
    # Version files never change under their name, so their Parquet footers can be cached between queries.
    con.execute("SET parquet_metadata_cache = true")
    return con
