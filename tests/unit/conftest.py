"""Synthesized demo and production templates, shared by the infra test modules (synthesis is cached)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.infra_fixtures import DEMO, ONE_ZONE, PRODUCTION, THREE_ZONES, config, template_of


@pytest.fixture(scope="session")
def demo() -> dict[str, Any]:
    return template_of(config(DEMO), ONE_ZONE)


@pytest.fixture(scope="session")
def production() -> dict[str, Any]:
    return template_of(config(PRODUCTION), THREE_ZONES)
