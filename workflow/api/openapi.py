"""The OpenAPI description of the API, served as JSON."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from workflow.api import bp

SPEC_PATH = Path(__file__).with_name("openapi.yaml")


@lru_cache(maxsize=1)
def spec() -> dict:
    with open(SPEC_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@lru_cache(maxsize=1)
def spec_bytes() -> bytes:
    """The description encoded once (as ``jsonify`` would, without re-encoding 21 KB per request)."""
    from flask import current_app

    return current_app.json.dumps(spec(), separators=(",", ":")).encode("utf-8") + b"\n"


@bp.get("/openapi.json")
def openapi_json():
    from flask import current_app

    return current_app.response_class(spec_bytes(), mimetype="application/json")
