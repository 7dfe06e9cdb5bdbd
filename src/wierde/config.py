"""Settings for one instance (its home folder), built once and passed in, never read at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from wierde.errors import InvalidInput

CONFIG_FILE = "wierde.yaml"
PROVINCE_GRONINGEN = "https://identifier.overheid.nl/tooi/id/provincie/pv20"


@dataclass(frozen=True)
class Settings:
    """Everything an instance needs to run; `Settings.load(home)` reads `wierde.yaml` and `WIERDE_*` variables."""

    home: Path
    database_url: str = ""
    base_url: str = "http://127.0.0.1:8000"
    site_title: str = "Provincie Groningen — open data"
    publisher: str = PROVINCE_GRONINGEN
    publisher_name: str = "Provincie Groningen"
    contact_name: str = "Team Data, Provincie Groningen"
    contact_email: str = "data@provinciegroningen.nl"
    basemap_url: str = ""  # e.g. PDOK's BRT achtergrondkaart; empty: no tiles are fetched (tests, offline)
    admin_token: str = ""  # a bearer token for stewards' API calls until sign-in arrives; empty: none accepted
    scheduler: bool = True  # `wierde serve` runs due harvests itself; off when a separate `wierde worker` does
    duckdb_memory_limit: str = "512MB"
    max_upload_bytes: int = 2 * 1024**3
    secret_key: str = ""  # signs session cookies and CSRF tokens; empty: generated once into <home>/secret.key
    oidc_issuer: str = ""  # OpenID Connect provider for staff sign-in; empty: local accounts only
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_role_claim: str = ""  # ID-token claim naming the role (employee/steward/admin); empty: roles set locally
    pseudonym_key_file: str = ""  # HMAC key for pseudonymised columns, kept outside the data store
    smtp_url: str = ""  # smtp://host:port for indicator alerts; empty: no e-mail is sent
    mail_from: str = "noreply@wierde.invalid"
    spark_master: str = "local[2]"  # the Spark engine's cluster; local mode needs only Java 17
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Path(self.home).expanduser().resolve())
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.home / 'wierde.db'}")

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / ".tmp"

    @property
    def metadata_dir(self) -> Path:
        """Where stewards keep one `<dataset>.yaml` per dataset beside the data."""
        return self.home / "metadata"

    @classmethod
    def load(cls, home: Path | str | None = None) -> Settings:
        home = Path(home or os.environ.get("WIERDE_HOME") or Path.cwd() / "wierde-home")
        values: dict[str, Any] = {}
        config_path = Path(home) / CONFIG_FILE
        if config_path.exists():
            loaded = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
            if not isinstance(loaded, dict):
                raise InvalidInput(f"{config_path}: expected a mapping of settings")
            values.update(loaded)
        known = {f.name for f in fields(cls)} - {"home", "extra"}
        for name in known:
            env = os.environ.get(f"WIERDE_{name.upper()}")
            if env is not None:
                values[name] = env
        unknown = set(values) - known
        if unknown:
            raise InvalidInput(f"{config_path}: unknown settings {sorted(unknown)}; known: {sorted(known)}")
        if "max_upload_bytes" in values:
            values["max_upload_bytes"] = int(values["max_upload_bytes"])
        if isinstance(values.get("scheduler"), str):
            values["scheduler"] = values["scheduler"].lower() in ("1", "true", "yes", "on")
        return cls(home=Path(home), **values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)
