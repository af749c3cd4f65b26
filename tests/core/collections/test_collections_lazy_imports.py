"""The window imports the collections at start-up: neither the TOML writer nor hashlib (OpenSSL, some MB of
memory) comes with that import; a collection read fingerprints its files (hashlib), a save writes TOML."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
WATCHED = ("hashlib", "tomli_w", "inspector.core.collections.tomltext")


def _run(body: str) -> dict[str, object]:
    script = ("import sys, json\nfrom pathlib import Path\n" + body +
              f"\nout['modules'] = sorted(m for m in {WATCHED!r} if m in sys.modules)\nprint(json.dumps(out))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=50,
                          check=True)
    return dict(json.loads(done.stdout.splitlines()[-1]))


def test_the_window_collections_model_imports_no_writer_and_no_hashlib() -> None:
    assert _run("import inspector.ui.collections_model\nout = {}") == {"modules": []}


def test_reading_a_collection_fingerprints_it_and_a_save_writes_toml(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    (root / "collection.toml").write_text('format = 1\nname = "Shop"\n', encoding="utf-8")
    body = (
        "from inspector.core.collections.store import load_collection, save_collection\n"
        f"result = load_collection(Path({str(root)!r}))\n"
        "out = {'name': result.collection.name, 'after_load': sorted(m for m in "
        f"{WATCHED!r} if m in sys.modules)}}\n"
        "save_collection(result.collection)\n"
    )
    out = _run(body)
    assert out["name"] == "Shop"
    assert out["after_load"] == ["hashlib"]
    assert out["modules"] == ["hashlib", "inspector.core.collections.tomltext", "tomli_w"]
    assert 'name = "Shop"' in (root / "collection.toml").read_text(encoding="utf-8")
