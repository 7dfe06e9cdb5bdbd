"""Wierde: the raised ground where a region's data gathers."""

__version__ = "0.1.0"
