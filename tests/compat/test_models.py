"""The shipped models against the installed botocore's: the same where both exist.

At the botocore the models were taken from (data/PROVENANCE.md), every file is identical once
documentation is stripped. At any other botocore, what both have agrees: the operations
botocore knows are shipped with the same input, output and errors, and the shapes both have are
of the same type. tests/compat/test_environments.py runs this module at the lowest botocore too.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

import botocore
import botocore.loaders
import pytest

from codestar_local import spec

# The tool that made the shipped files: the comparison applies its own changes, not a copy of them.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tools"))
from make_models import for_older_clients, strip_docs  # noqa: E402

PROVENANCE = spec.DATA / "PROVENANCE.md"
FILES = ("service-2", "paginators-1", "endpoint-rule-set-1")


def recorded() -> dict:
    """service/api/file -> botocore version, from PROVENANCE.md."""
    rows = re.findall(r"^\| `([^`]+)\.json` \| botocore ([0-9.]+) \|", PROVENANCE.read_text(), re.M)
    return dict(rows)


def installed(service: str, api: str, name: str):
    """The installed botocore's own file (its data folder only, not AWS_DATA_PATH), or None."""
    loader = botocore.loaders.Loader(extra_search_paths=[], include_default_search_paths=False)
    loader.search_paths.append(botocore.loaders.Loader.BUILTIN_DATA_PATH)
    try:
        return loader.load_service_model(service, name, api_version=api)
    except Exception:
        return None


def shipped(service: str, api: str, name: str):
    return json.loads((spec.DATA / service / api / f"{name}.json").read_text())


def test_every_service_ships_every_file():
    rows = recorded()
    for service, (api, _) in spec.SERVICES.items():
        for name in FILES:
            assert (spec.DATA / service / api / f"{name}.json").is_file()
            assert f"{service}/{api}/{name}" in rows, "PROVENANCE.md lists every file"


@pytest.mark.parametrize("service", list(spec.SERVICES))
def test_shipped_and_installed_agree(service):
    api = spec.SERVICES[service][0]
    mine = shipped(service, api, "service-2")
    theirs = installed(service, api, "service-2")
    if theirs is None:
        # Not in this botocore (codestar after 1.35, codeconnections before 1.34.91): nothing to compare.
        assert service in ("codestar", "codeconnections"), botocore.__version__
        return
    theirs = for_older_clients(strip_docs(theirs))
    if "json" in mine["metadata"].get("protocols", ()):
        # The one change make_models.py makes (PROVENANCE.md): older clients read `protocol` alone.
        assert mine["metadata"]["protocol"] == "json"
    if recorded()[f"{service}/{api}/service-2"] == botocore.__version__:
        assert mine == theirs
        for name in FILES[1:]:
            assert shipped(service, api, name) == strip_docs(installed(service, api, name))
        return
    for op, model in theirs["operations"].items():
        assert op in mine["operations"], f"{op} is in botocore {botocore.__version__} but not shipped"
        ours = mine["operations"][op]
        for part in ("input", "output", "http"):
            assert ours.get(part) == model.get(part), (op, part)
        assert {e["shape"] for e in model.get("errors", [])} <= {e["shape"] for e in ours.get("errors", [])}, op
    for name, shape in theirs["shapes"].items():
        if name in mine["shapes"]:
            assert mine["shapes"][name]["type"] == shape["type"], name


def test_the_server_never_reads_botocore_models(monkeypatch):
    # A botocore loader that fails would break a server that read from it.
    def refuse(*args, **kwargs):
        raise AssertionError("the server read a botocore model")

    monkeypatch.setattr(botocore.loaders.Loader, "load_service_model", refuse)
    spec.services.cache_clear()
    try:
        built = spec.services()
        assert sorted(built) == sorted(spec.SERVICES)
        assert sum(len(s.operations) for s in built.values()) == 72
    finally:
        spec.services.cache_clear()
