"""Helpers several test folders share: a real HTTP server for an app, and a small sample catalogue."""
