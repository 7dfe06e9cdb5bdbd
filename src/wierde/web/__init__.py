"""FastAPI routers and the server-rendered portal: thin adapters over `publish`."""
