"""DCAT-AP-NL metadata, vocabularies, completeness and search."""
