"""Bringing data in: file readers and (later) connectors to public APIs."""
