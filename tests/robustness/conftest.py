"""Fixtures of the robustness tests: misbehaving servers (see tests/support/evil_servers.py)."""

from __future__ import annotations

import pytest

from tests.support.evil_servers import evil_server_fixture

evil_server = pytest.fixture(evil_server_fixture)
