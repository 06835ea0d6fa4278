"""Regenerate src/codestar_local/data/codestar/2017-04-19/service-2.json.

Recent botocore no longer ships the CodeStar model. This script downloads the
botocore 1.35.0 wheel from PyPI (pip download), takes the codestar model out of
it, strips every documentation string and writes it into the package data.

    python tools/make_codestar_model.py
"""

import gzip
import json
import pathlib
import subprocess
import sys
import tempfile
import zipfile

VERSION = "1.35.0"
MEMBER = "botocore/data/codestar/2017-04-19/service-2.json"
OUT = pathlib.Path(__file__).resolve().parent.parent / "src/codestar_local/data/codestar/2017-04-19/service-2.json"


def strip_docs(node):
    if isinstance(node, dict):
        return {k: strip_docs(v) for k, v in node.items() if k not in ("documentation", "documentationUrl")}
    if isinstance(node, list):
        return [strip_docs(v) for v in node]
    return node


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", tmp, f"botocore=={VERSION}"],
            check=True,
        )
        wheel = next(pathlib.Path(tmp).glob("botocore-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
            name = MEMBER if MEMBER in names else MEMBER + ".gz"
            raw = zf.read(name)
        if name.endswith(".gz"):
            raw = gzip.decompress(raw)
    model = strip_docs(json.loads(raw))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(model, indent=1, sort_keys=False) + "\n")
    print(f"wrote {OUT} ({len(model['operations'])} operations) from {wheel.name}:{name}")


if __name__ == "__main__":
    main()
