"""Regenerate the service models under src/codestar_local/data/ and their PROVENANCE.md.

The server serves these files, not whatever botocore is installed. Each model
comes from one recorded botocore wheel on PyPI (pip download): the two
connections services from the botocore the project is tested with, and
codestar from the last botocore that ships it. Every documentation string is
removed. One more change: where a model lists several protocols, its single
`protocol` (what a botocore older than the `protocols` list reads) names JSON,
which every botocore speaks and current botocore prefers anyway.

    python tools/make_models.py
"""

import gzip
import hashlib
import json
import pathlib
import subprocess
import sys
import tempfile
import zipfile

# service -> (botocore version, api version)
SOURCES = {
    "codestar-connections": ("1.44.5", "2019-12-01"),
    "codeconnections": ("1.44.5", "2023-12-01"),
    # botocore dropped codestar after the 1.35.0 line.
    "codestar": ("1.35.0", "2017-04-19"),
}
# What a botocore client loads for a service; paginators and the endpoint rules matter
# to a botocore old enough not to know the service at all.
FILES = ("service-2.json", "paginators-1.json", "endpoint-rule-set-1.json")
DATA = pathlib.Path(__file__).resolve().parent.parent / "src/codestar_local/data"


def strip_docs(node):
    if isinstance(node, dict):
        return {k: strip_docs(v) for k, v in node.items() if k not in ("documentation", "documentationUrl")}
    if isinstance(node, list):
        return [strip_docs(v) for v in node]
    return node


def for_older_clients(model: dict) -> dict:
    """codeconnections says `protocol: smithy-rpc-v2-cbor`, which the AWS CLI v2 2.9 and botocore < 1.37.2 cannot send."""
    meta = model["metadata"]
    if "json" in meta.get("protocols", ()) and meta.get("protocol") != "json":
        meta["protocol"] = "json"
    return model


def wheel(version: str, tmp: str) -> pathlib.Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", tmp, f"botocore=={version}"],
        check=True,
    )
    return next(pathlib.Path(tmp).glob(f"botocore-{version}-*.whl"))


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        wheels = {}
        for service, (version, api) in SOURCES.items():
            if version not in wheels:
                wheels[version] = wheel(version, tmp)
            with zipfile.ZipFile(wheels[version]) as zf:
                names = set(zf.namelist())
                out_dir = DATA / service / api
                out_dir.mkdir(parents=True, exist_ok=True)
                for fname in FILES:
                    member = f"botocore/data/{service}/{api}/{fname}"
                    if member + ".gz" in names:
                        raw = gzip.decompress(zf.read(member + ".gz"))
                    elif member in names:
                        raw = zf.read(member)
                    else:
                        continue
                    model = strip_docs(json.loads(raw))
                    if fname == "service-2.json":
                        model = for_older_clients(model)
                    text = json.dumps(model, indent=1) + "\n"
                    (out_dir / fname).write_text(text)
                    digest = hashlib.sha256(text.encode()).hexdigest()
                    rows.append(f"| `{service}/{api}/{fname}` | botocore {version} | `{member}` | `{digest[:16]}` |")
    (DATA / "PROVENANCE.md").write_text(
        "# Where the service models come from\n\n"
        "The server and `mock_codestar` use these files, whatever botocore is installed. Each is a model file from a\n"
        "botocore wheel on PyPI, with every `documentation` and `documentationUrl` string removed. One other change:\n"
        "where a model lists several `protocols` (codeconnections: `smithy-rpc-v2-cbor`, `json`), its single `protocol`\n"
        "says `json`, for clients older than the list (botocore < 1.37.2, the AWS CLI v2 2.9), which otherwise fail on\n"
        "CBOR; current botocore picks JSON from the list anyway, and the server serves both.\n\n"
        "The connections services come from the botocore the project is tested with; `codestar` from\n"
        "botocore 1.35.0, the last line that ships it. botocore is Apache-2.0 licensed; so are these copies.\n\n"
        "Made by `python tools/make_models.py`, which downloads the wheels with pip and rewrites this folder.\n"
        "`codestar-local models-path` prints this folder, for `AWS_DATA_PATH`.\n\n"
        "| file | from | wheel member | sha256 (first 16) |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
