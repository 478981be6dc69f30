"""Fixtures of the local emulator's unit tests (defined in :mod:`tests.unit.local.fakes`)."""

from tests.unit.local.fakes import aws, fake_docker, fast_jobs, patched  # noqa: F401
