"""The codec imports an exchange's, a token's and a diagnosis's modules only when it decodes a record that
holds them: the window reads its saved tabs (specs) right after the first paint, and pays only for those."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("inspector.core.exchange", "inspector.core.tokens", "inspector.core.diagnosis",
         "inspector.core.timeline", "inspector.core.challenges", "inspector.core.jwks")


def _loaded_after(code: str) -> list[str]:
    """The inspector modules a fresh interpreter holds after running `code`."""
    script = (f"import sys, json\n{code}\n"
              "print(json.dumps(sorted(m for m in sys.modules if m.startswith('inspector'))))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=50,
                          check=True)
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_decoding_a_spec_imports_no_exchange_token_or_diagnosis() -> None:
    loaded = _loaded_after(
        "from inspector.core.codec import spec_from_dict, spec_to_dict\n"
        "spec = spec_from_dict({'method': 'POST', 'url': 'https://example.test/', 'headers': [['A', 'b']],"
        " 'body': {'kind': 'json', 'text': '{}'}})\n"
        "assert spec.method == 'POST' and spec.headers[0].name == 'A'\n"
        "assert spec_from_dict(spec_to_dict(spec)) == spec\n"
    )
    assert "inspector.core.codec" in loaded
    assert [m for m in loaded if m.startswith(HEAVY)] == []


def test_decoding_an_exchange_imports_what_it_builds() -> None:
    loaded = _loaded_after(
        "from inspector.core.codec import exchange_from_dict\n"
        "ex = exchange_from_dict({'spec': {'url': 'https://example.test/'}, 'hops': [{'url': 'https://example.test/',"
        " 'response': {'status': 401}}], 'error': {'kind': 'timeout', 'message': 'm'}})\n"
        "assert ex.hops[0].response.status == 401 and ex.error.kind == 'timeout'\n"
    )
    assert "inspector.core.exchange" in loaded
    assert not [m for m in loaded if m.startswith("inspector.core.diagnosis")]


def test_decoding_a_diagnosis_imports_its_model_not_the_rules_nor_key_sets() -> None:
    loaded = _loaded_after(
        "from inspector.core.codec import diagnosis_from_dict\n"
        "d = diagnosis_from_dict({'verdict': 'authentication', 'findings': [{'id': 'x', 'severity': 'error'}],"
        " 'challenges': [{'scheme': 'Bearer'}], 'token': {'format': 'jws'}, 'timeline': {},"
        " 'credential': {'where': 'header'}})\n"
        "assert d.findings[0].severity == 'error' and d.challenges[0].scheme == 'Bearer'\n"
    )
    assert {"inspector.core.diagnosis.model", "inspector.core.tokens", "inspector.core.timeline"} <= set(loaded)
    engine = ("inspector.core.diagnosis.rules", "inspector.core.diagnosis.explainer")
    assert not [m for m in loaded if m.startswith(engine)]
    # a token read back is not checked again: no key set code, and no exchange behind it
    assert "inspector.core.jwks" not in loaded and "inspector.core.exchange" not in loaded
