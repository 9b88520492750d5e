"""Fixtures for the SQL analysis tests."""

from __future__ import annotations

import pytest

from proxy.sql import CatalogSnapshot
from tests.sql.support import fixture_catalog


@pytest.fixture(scope="session")
def catalog() -> CatalogSnapshot:
    """The hand-built catalogue of the red-team fixture."""
    return fixture_catalog()
