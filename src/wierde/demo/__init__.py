"""The deterministic demo bundle: the province of Groningen with plausible synthetic data."""
