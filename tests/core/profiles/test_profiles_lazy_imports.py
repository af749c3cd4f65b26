"""Reading the profile folders (the window does it at start-up) imports neither the TOML writer nor, while no
file is read, hashlib (OpenSSL): those are for saving and fingerprinting, paid when used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def _load(folder: Path) -> dict[str, object]:
    """Load `folder` as the personal folder in a fresh interpreter: what loaded and which modules came in."""
    script = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from inspector.core.profiles.store import ProfileStore\n"
        f"result = ProfileStore(Path({str(folder)!r}), []).load_all()\n"
        "print(json.dumps({'names': [p.name for p in result.profiles], 'problems': len(result.problems),\n"
        "                  'modules': sorted(m for m in ('hashlib', 'tomli_w', 'inspector.core.collections.tomltext')\n"
        "                                    if m in sys.modules)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=50,
                          check=True)
    return dict(json.loads(done.stdout.splitlines()[-1]))


def test_loading_no_profile_imports_no_writer_and_no_hashlib(tmp_path: Path) -> None:
    folder = tmp_path / "personal"
    folder.mkdir()
    assert _load(folder) == {"names": [], "problems": 0, "modules": []}


def test_loading_a_profile_fingerprints_it_without_the_writer(tmp_path: Path) -> None:
    folder = tmp_path / "personal"
    folder.mkdir()
    (folder / "dev.toml").write_text('format = 1\nname = "dev"\nkind = "none"\n', encoding="utf-8")
    assert _load(folder) == {"names": ["dev"], "problems": 0, "modules": ["hashlib"]}


def test_the_window_profile_model_imports_no_writer_and_no_hashlib() -> None:
    script = ("import sys\nimport inspector.ui.profiles_model\n"
              "print([m for m in ('hashlib', 'tomli_w') if m in sys.modules])\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=50,
                          check=True)
    assert done.stdout.strip() == "[]"
