"""Immutable dataset versions (Parquet/GeoParquet) and the metadata database that points at them."""
