"""Where the Git repositories of repository links live: `<git dir>/<RepositoryLinkId>.git`, bare.

A repository exists while its link does: it is made on first use, removed by DeleteRepositoryLink, and
`sweep()` (after a reset or a state import) removes those whose link is gone. State snapshots carry no Git
content: a link kept by an import keeps its repository, a link that comes back without one starts empty.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import shutil
import tempfile

from dulwich.repo import Repo

LINK_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
DEFAULT_BRANCH = b"main"


def default_git_dir(state: str) -> str | None:
    """Beside the SQLite file; for PostgreSQL a folder of the user data directory named after the database
    (several replicas must be given a shared --git-dir); None (a temporary directory) for memory."""
    if state in ("memory", ":memory:"):
        return None
    if state.startswith(("postgres://", "postgresql://")):
        import platformdirs

        digest = hashlib.sha256(state.encode()).hexdigest()[:16]
        return str(pathlib.Path(platformdirs.user_data_dir("codestar-local")) / f"git-{digest}")
    if state.startswith("sqlite:///"):
        state = state[len("sqlite:///"):]
    return os.path.abspath(state) + "-git"


class Repositories:
    def __init__(self, root: str | None):
        self._root = root
        self._temporary = root is None

    @property
    def root(self) -> str:
        if self._root is None:
            self._root = tempfile.mkdtemp(prefix="codestar-local-git-")
        return self._root

    def path(self, link_id: str) -> str:
        if not LINK_ID.fullmatch(link_id):
            raise ValueError(f"not a repository link id: {link_id!r}")
        return os.path.join(self.root, f"{link_id.lower()}.git")

    def open(self, link_id: str) -> Repo:
        """The link's repository, made (empty, HEAD on main) when it does not exist yet."""
        path = self.path(link_id)
        if not os.path.isdir(path):
            os.makedirs(self.root, exist_ok=True)
            # Made aside and renamed into place: another worker may be making the same one.
            scratch = tempfile.mkdtemp(prefix=".new-", dir=self.root)
            try:
                Repo.init_bare(scratch, default_branch=DEFAULT_BRANCH).close()
                os.rename(scratch, path)
            except OSError:
                if not os.path.isdir(path):
                    raise
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        return Repo(path)

    def remove(self, link_id: str) -> None:
        if self._root is None or not LINK_ID.fullmatch(link_id):
            return
        shutil.rmtree(self.path(link_id), ignore_errors=True)

    def on_disk(self) -> list[str]:
        if self._root is None or not os.path.isdir(self._root):
            return []
        return [n[:-4] for n in os.listdir(self._root) if n.endswith(".git") and LINK_ID.fullmatch(n[:-4])]

    def sweep(self, present) -> int:
        """Remove the repositories of links not in `present` (a callable: the link ids that exist, read after
        listing the disk so a repository made meanwhile belongs to a link already there)."""
        found = self.on_disk()
        if not found:
            return 0
        keep = {i.lower() for i in present()}
        gone = [i for i in found if i.lower() not in keep]
        for link_id in gone:
            self.remove(link_id)
        return len(gone)

    def close(self) -> None:
        if self._temporary and self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
