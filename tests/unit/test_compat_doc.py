"""docs/COMPAT.md lists every operation of the three models with its real status."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_compat_doc_is_current():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "compat.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_compat_doc_names_every_operation():
    from codestar_local import spec

    text = (ROOT / "docs" / "COMPAT.md").read_text()
    for svc in spec.services().values():
        assert f"## {svc.name} " in text
        for op in svc.operations:
            assert f"| {op} |" in text
