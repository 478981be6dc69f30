"""Shared test set-up: quiet jsii, and the emulator fixtures for the integration and end-to-end tiers."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "14,16,18,20")

from tests.emulator_fixtures import emulator, emulator_reset_between_modules  # noqa: F401
