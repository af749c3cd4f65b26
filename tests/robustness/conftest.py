"""Fixtures of the robustness tests: misbehaving servers (see evil_servers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # evil_servers is a helper module next to the tests

from evil_servers import evil_server_fixture

evil_server = pytest.fixture(evil_server_fixture)
