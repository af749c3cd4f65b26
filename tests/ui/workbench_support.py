"""Real collection folders for the window's collection tests (tabs, tree, import, save) in tmp_path."""

from __future__ import annotations

import textwrap
from pathlib import Path

from inspector.core.collections.store import Source
from inspector.ui.collections_model import CollectionsModel


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def make_collection(folder: Path, base_url: str = "http://127.0.0.1:9") -> Path:
    """A collection 'Shop' in folder/shop: a folder 'Orders' with two requests, one top-level request, an
    environment 'local' whose base_url is base_url and an environment 'other'."""
    root = folder / "shop"
    write(root / "collection.toml", """
        format = 1
        name = "Shop"
        order = ["orders", "ping"]

        [vars]
        tenant = "t-1"
    """)
    write(root / "environments" / "local.toml", f"""
        format = 1
        [vars]
        base_url = "{base_url}"
    """)
    write(root / "environments" / "other.toml", """
        format = 1
        [vars]
        base_url = "http://127.0.0.1:1"
        api_token = "${secret:shop-token}"
    """)
    write(root / "orders" / "folder.toml", """
        format = 1
        name = "Orders"
        order = ["list-orders", "create-order"]
    """)
    write(root / "orders" / "list-orders.toml", """
        format = 1
        name = "List orders"
        method = "GET"
        url = "{{base_url}}/orders"
        [[params]]
        name = "tenant"
        value = "{{tenant}}"
        [[headers]]
        name = "X-Trace"
        value = "{{$uuid}}"
    """)
    write(root / "orders" / "create-order.toml", """
        format = 1
        name = "Create order"
        method = "POST"
        url = "{{base_url}}/orders"
        expect_status = 201
        team_note = "kept"
        [body]
        kind = "json"
        text = '{"item": "book"}'
    """)
    write(root / "ping.toml", """
        format = 1
        name = "Ping"
        url = "{{base_url}}/ping"
    """)
    return root


def loaded_model(qtbot, *roots_or_sources: Path, **kwargs) -> CollectionsModel:
    """A model over these folders (folders of collections, or collections), every collection loaded."""
    model = CollectionsModel([Source(Path(p), "team") for p in roots_or_sources], **kwargs)
    model.start(watch=False)
    qtbot.waitUntil(lambda: model.discovered and all(model.is_loaded(r) for r in model.roots()),
                    timeout=20_000)
    return model
