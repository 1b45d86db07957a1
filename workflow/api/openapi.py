"""The OpenAPI description of the API, served as JSON."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from flask import jsonify

from workflow.api import bp

SPEC_PATH = Path(__file__).with_name("openapi.yaml")


@lru_cache(maxsize=1)
def spec() -> dict:
    with open(SPEC_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(spec())
