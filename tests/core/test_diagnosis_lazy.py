"""The diagnosis package loads its engine on first use: the codec (history, the window's saved tabs) needs
only the findings and the model, and must not pay for importing every rule at start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import inspector.core.diagnosis as diagnosis

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.smoke
def test_the_codec_does_not_load_the_rules() -> None:
    code = ("import sys\nimport inspector.core.codec as codec\n"
            "codec.diagnosis_from_dict({'findings': [{'id': 'x'}]})\n"  # a record's diagnosis, read back
            "print(sorted(m for m in sys.modules if m.startswith('inspector.core.diagnosis.')))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=50,
                          check=True)
    loaded = done.stdout
    assert "inspector.core.diagnosis.model" in loaded
    assert "inspector.core.diagnosis.explainer" not in loaded and "rules" not in loaded


@pytest.mark.parametrize("name", diagnosis.__all__)
def test_every_public_name_is_there(name: str) -> None:
    assert getattr(diagnosis, name) is not None


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        diagnosis.no_such_thing  # noqa: B018
