"""Start a real OpenID Connect provider (npm's oidc-provider, see oidc_provider.mjs) for the length of a test."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "oidc_provider.mjs"
PACKAGE = HERE.parents[1] / "node_modules" / "oidc-provider" / "package.json"


def available() -> bool:
    return shutil.which("node") is not None and PACKAGE.exists()


@contextmanager
def provider(*, client_id: str, client_secret: str, redirect_uri: str, timeout: float = 20.0) -> Iterator[str]:
    """Yield the issuer URL (`http://127.0.0.1:PORT`) while the provider runs; stop it afterwards."""
    config = json.dumps({"clientId": client_id, "clientSecret": client_secret, "redirectUri": redirect_uri})
    process = subprocess.Popen(["node", str(SCRIPT), config], cwd=HERE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        issuer = _wait_for_issuer(process, timeout)
        # Keep reading its output so a chatty provider never blocks on a full pipe.
        threading.Thread(target=process.stdout.read, daemon=True).start()  # type: ignore[union-attr]
        threading.Thread(target=process.stderr.read, daemon=True).start()  # type: ignore[union-attr]
        yield issuer
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_issuer(process: subprocess.Popen[str], timeout: float) -> str:
    found: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("ISSUER="):
                found.append(line.strip().split("=", 1)[1])
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not found:
        process.kill()
        _out, err = process.communicate(timeout=5)
        raise RuntimeError(f"oidc-provider did not start: {err.strip()[-2000:]}")
    return found[0]
