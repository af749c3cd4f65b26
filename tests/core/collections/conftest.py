"""Helpers for the collection tests: real collection folders written in tmp_path."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"

Write = Callable[[Path, str], Path]


@pytest.fixture
def write() -> Write:
    """write(path, toml_text) -> path; the text is dedented, parent folders created."""

    def _write(path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def billing(tmp_path: Path, write: Write) -> Path:
    """A small hand-written collection: a folder, three requests, two environments, no broken file."""
    root = tmp_path / "billing-api"
    write(
        root / "collection.toml",
        """
        format = 1
        name = "Billing API"
        profile = "Billing (staging)"
        order = ["invoices", "health"]
        team_note = "kept on save"

        [vars]
        base_url = "https://billing.example.com"
        tenant = "t-1"
    """,
    )
    write(
        root / "environments" / "staging.toml",
        """
        format = 1
        [vars]
        base_url = "https://billing.staging.example.com"
        tenant = "t-42"
        api_key = "${secret:billing-staging-key}"
    """,
    )
    write(
        root / "environments" / "production.toml",
        """
        name = "Production"
        [vars]
        base_url = "https://billing.example.com"
    """,
    )
    write(
        root / "invoices" / "folder.toml",
        """
        format = 1
        name = "Invoices"
        order = ["create-invoice", "list-invoices"]
        [vars]
        page = "1"
    """,
    )
    write(
        root / "invoices" / "list-invoices.toml",
        """
        format = 1
        name = "List invoices"
        url = "{{base_url}}/api/invoices"
        [[params]]
        name = "tenant"
        value = "{{tenant}}"
        [[params]]
        name = "page"
        value = "{{page}}"
        enabled = false
    """,
    )
    write(
        root / "invoices" / "create-invoice.toml",
        """
        format = 1
        name = "Create invoice"
        method = "POST"
        url = "{{base_url}}/api/invoices"
        expect_status = 201
        x_custom = {reviewed = true}
        [[headers]]
        name = "Idempotency-Key"
        value = "{{$uuid}}"
        flag = "keep-me"
        [body]
        kind = "json"
        text = '''{"customer": "Grace Hopper", "amount": "250.00"}'''
    """,
    )
    write(
        root / "health.toml",
        """
        name = "Health"
        url = "{{base_url}}/health"
        profile = ""
    """,
    )
    return root
