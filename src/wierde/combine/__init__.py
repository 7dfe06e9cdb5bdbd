"""Views: datasets computed by SQL from other datasets, kept current and reproducible with their lineage."""
