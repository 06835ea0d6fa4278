"""codestar-local installed from its wheel into users' environments, as a library.

- the wheel carries every data file, and works installed (no source tree on the path);
- into a venv at the lowest supported boto3/botocore, it installs without changing them, and
  the mock, plugin and client tests pass there;
- into a venv with aiobotocore (which holds botocore below the newest), aiobotocore clients
  work against the server and in mock_codestar (tests/aio);
- the server's answers are the same under every one of these botocores.

Each venv is new and gets its packages from the configured index, as a user's would.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The lowest versions pyproject.toml allows, and what this file tests.
LOWEST = {"boto3": "1.34.0", "botocore": "1.34.0"}
AIOBOTOCORE = "3.10.0"
# Run in the lowest venv: one pytest per group, as each group's own conftest expects.
LOWEST_GROUPS = (
    ["tests/mock", "tests/compat/test_models.py"],
    ["tests/api/test_connections.py", "tests/api/test_tags.py", "tests/api/test_hosts.py", "tests/api/test_pagination.py"],
    ["tests/codestar/test_codestar_projects.py", "tests/codestar/test_codestar_members.py"],
    ["tests/sync/test_sync_links.py", "tests/sync/test_sync_configurations.py", "tests/sync/test_sync_status.py"],
)


def run(cmd, timeout=600, **kw):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kw)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def clean_env() -> dict:
    # The outer venv must not leak in; the index settings (PIP_*) must.
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "AWS_DATA_PATH", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(sys.prefix))
    return env


class Venv:
    def __init__(self, path: pathlib.Path):
        self.path = path
        run([sys.executable, "-m", "venv", path])
        self.python = path / "bin" / "python"
        self.env = {**clean_env(), "VIRTUAL_ENV": str(path), "PATH": f"{path / 'bin'}{os.pathsep}{clean_env()['PATH']}"}

    def pip(self, *args):
        return run([self.python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args], env=self.env)

    def versions(self) -> dict:
        out = run([self.python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"], env=self.env)
        return {p["name"].lower(): p["version"] for p in json.loads(out)}

    def pytest(self, *args, timeout=900):
        cmd = [self.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *args]
        done = subprocess.run(cmd, cwd=ROOT, env={**self.env, "CI": "true"}, capture_output=True, text=True, timeout=timeout)
        tail = done.stdout[-6000:] + done.stderr[-2000:]
        assert done.returncode == 0, tail
        assert not re.search(r"\d+ skipped", done.stdout), tail
        return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    """The wheel, built from a copy of the tree (pip builds in place, which would leave build/ behind)."""
    tree = tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check", "-w", out, tree], env=clean_env())
    (built,) = out.glob("codestar_local-*.whl")
    return built


@pytest.fixture(scope="module")
def lowest(tmp_path_factory, wheel) -> Venv:
    venv = Venv(tmp_path_factory.mktemp("lowest") / "venv")
    # The user's environment first: their boto3, and pytest.
    venv.pip(f"boto3=={LOWEST['boto3']}", f"botocore=={LOWEST['botocore']}", "pytest")
    venv.before = venv.versions()
    venv.pip(wheel)
    return venv


@pytest.fixture(scope="module")
def aio(tmp_path_factory, wheel) -> Venv:
    venv = Venv(tmp_path_factory.mktemp("aio") / "venv")
    venv.pip(f"aiobotocore=={AIOBOTOCORE}", "pytest")
    venv.before = venv.versions()
    venv.pip(wheel)
    return venv


def shipped_files() -> set:
    pkg = ROOT / "src" / "codestar_local"
    out = set()
    for folder in ("data", "control/console"):
        for f in (pkg / folder).rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts:
                out.add(f.relative_to(pkg).as_posix())
    return out


def test_pyproject_floor_is_the_tested_one():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (botocore,) = [d for d in deps if d.startswith("botocore")]
    assert f">={LOWEST['botocore']}" in botocore, botocore


def test_installing_keeps_the_users_boto3(lowest):
    after = lowest.versions()
    assert after["boto3"] == lowest.before["boto3"] == LOWEST["boto3"]
    assert after["botocore"] == lowest.before["botocore"] == LOWEST["botocore"]
    assert "codestar-local" in after


def test_without_the_gitsync_extra_a_git_request_says_what_to_install(lowest):
    """The plain install has no dulwich (it would need a newer urllib3 than the user's botocore allows): the API
    runs, and the Git remote answers 501 naming the extra."""
    import socket
    import time
    import urllib.error
    import urllib.request

    assert "dulwich" not in lowest.versions()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([lowest.path / "bin" / "codestar-local", "serve", "--port", str(port), "--state", "memory"],
                            env=lowest.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/_codestar-local/health", timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read().decode()
                time.sleep(0.1)
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"{base}/_codestar-local/git/0f0e0d0c-0b0a-0908-0706-050403020100.git/info/refs?service=git-upload-pack")
        assert e.value.code == 501
        assert "codestar-local[gitsync]" in e.value.read().decode()
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_wheel_carries_every_data_file(lowest):
    where = run([lowest.python, "-c", "import codestar_local, os; print(os.path.dirname(codestar_local.__file__))"], env=lowest.env, cwd="/")
    pkg = pathlib.Path(where.strip())
    assert str(pkg).startswith(str(lowest.path)), "the installed package, not the source tree"
    installed = {f.relative_to(pkg).as_posix() for f in pkg.rglob("*") if f.is_file() and "__pycache__" not in f.parts}
    missing = shipped_files() - installed
    assert not missing, missing
    # The console script and models-path work from the installed copy.
    models = run([lowest.path / "bin" / "codestar-local", "models-path"], env=lowest.env).strip()
    assert models == str(pkg / "data")
    assert sorted(p.name for p in pathlib.Path(models).iterdir() if p.is_dir()) == ["codeconnections", "codestar", "codestar-connections"]


@pytest.mark.parametrize("group", range(len(LOWEST_GROUPS)))
def test_tests_pass_at_the_lowest_botocore(lowest, group):
    out = lowest.pytest(*LOWEST_GROUPS[group])
    assert re.search(r"\d+ passed", out), out


def test_aiobotocore_installs_beside_its_own_botocore(aio):
    after = aio.versions()
    assert after["botocore"] == aio.before["botocore"], "codestar-local must not move aiobotocore's botocore"
    assert after["aiobotocore"] == AIOBOTOCORE


def test_aiobotocore_server_and_mock(aio):
    out = aio.pytest("--noconftest", "-o", "python_files=aio_*.py", "tests/aio")
    assert re.search(r"\d+ passed", out), out


def answers(python, env) -> dict:
    return json.loads(run([python, ROOT / "tests" / "compat" / "answers.py"], env=env, cwd="/"))


def test_answers_do_not_change_with_botocore(lowest, aio):
    here = answers(sys.executable, os.environ)
    assert not here["botocore_imported"], "the server imports botocore"
    for venv in (lowest, aio):
        there = answers(venv.python, venv.env)
        assert not there["botocore_imported"]
        assert len(there["answers"]) == len(here["answers"])
        for mine, theirs in zip(here["answers"], there["answers"]):
            assert theirs == mine
