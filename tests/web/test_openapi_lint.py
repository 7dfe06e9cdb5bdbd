"""Prove that /api/v1 follows the NL GOV API Design Rules: Spectral with the official ruleset finds 0 errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import REPO, shared_dir
from wierde.app import create_app
from wierde.config import Settings

SPECTRAL = REPO / "node_modules" / ".bin" / "spectral"


def lint(document: dict, tmp_path: Path) -> list[dict]:  # type: ignore[type-arg]
    shared = shared_dir()
    if shared is None:
        pytest.skip("../shared/spec is not beside this checkout")
    if not SPECTRAL.exists() or shutil.which("node") is None:
        pytest.fail("Spectral is missing: run `make test-setup` (npm ci) first")
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    ruleset = shared / "spec" / "nl-api-design-rules" / "ruleset.yaml"
    run = subprocess.run([str(SPECTRAL), "lint", "-r", str(ruleset), "-f", "json", "--quiet", str(spec)],
                         capture_output=True, text=True, timeout=120)
    return json.loads(run.stdout or "[]")


def test_api_has_no_design_rule_errors(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(home=tmp_path / "inst"))) as client:
        document = client.get("/api/v1/openapi.json").json()
    findings = lint(document, tmp_path)
    errors = [f"{f['code']} at {'.'.join(map(str, f['path']))}: {f['message']}" for f in findings
              if f["severity"] == 0]
    assert errors == []


def test_docs_page_serves_its_own_assets(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(home=tmp_path / "inst"))) as client:
        page = client.get("/api/docs").text
        assert "https://" not in page, "no CDN"
        for asset in ("/static/swagger/swagger-ui-bundle.js", "/static/swagger/swagger-ui.css"):
            assert asset in page and client.get(asset).status_code == 200
