"""A push to a link's repository, turned into Git sync: one sync per branch that sync configurations watch.

Called by the Git remote after receive-pack has moved the refs, before the push is answered, so the sync is
visible to every process as soon as `git push` returns. Files are read and templates checked outside the write
transaction (cfn-lint takes a fraction of a second); the attempts are then recorded in one transaction.
"""

from __future__ import annotations

import logging
import random
import time

from ..services.connections import REPOSITORY_LINK
from ..store import Conflict
from ..store.base import WRITE_ATTEMPTS
from ..services.sync import RESOURCE_SYNC_ATTEMPT
from . import attempts, checks

log = logging.getLogger("codestar_local.gitsync")

BRANCH_PREFIX = b"refs/heads/"


def previous_commit(tx, config) -> str | None:
    """The commit the stack was last asked to sync to (its latest attempt's target)."""
    tried = tx.list(RESOURCE_SYNC_ATTEMPT, config.account, parent=config.id)
    return tried[-1].data["TargetRevision"]["Sha"] if tried else None


class GitSync:
    def __init__(self, app):
        self.app = app
        self.lint = checks.Linter()

    def on_push(self, link_arn: str, repo, updates) -> list[str]:
        """Sync every branch moved by `updates` [(old, new, ref)]; lines of news for the pushing client."""
        lines = []
        for old, new, ref in updates:
            if not ref.startswith(BRANCH_PREFIX) or set(new) == {ord("0")}:
                continue  # a tag, or a deleted branch: nothing changes for the stacks
            branch = ref[len(BRANCH_PREFIX):].decode("utf-8", "replace")
            try:
                lines += self.sync_branch(link_arn, repo, branch, old.decode(), new.decode())
            except Exception:
                log.exception("Git sync of branch %s of %s failed", branch, link_arn)
                lines.append(f"codestar-local: Git sync of branch {branch} failed with an internal error (see the server log)")
        return lines

    def sync_branch(self, link_arn: str, repo, branch: str, old: str, new: str) -> list[str]:
        app = self.app
        commit = checks.commit_of(repo, new)
        if commit is None:
            return []
        with app.store.read() as tx:
            link = tx.get(REPOSITORY_LINK, link_arn)
            if link is None:
                return []
            configs = attempts.branch_configs(tx, link, branch)
            bases = {c.id: previous_commit(tx, c) for c in configs}
        verdicts = {}

        def judge(config):
            if config.id not in verdicts:  # also a configuration created since the read above
                base = checks.commit_of(repo, bases.get(config.id)) or checks.commit_of(repo, old)
                verdicts[config.id] = checks.judge(repo, config.data, commit, base, config.region, self.lint)
            return verdicts[config.id]

        for c in configs:
            judge(c)
        account = link.account
        for attempt in range(WRITE_ATTEMPTS):  # as App._write: a write that loses to a concurrent one runs again
            try:
                with app.store.write(account) as tx:
                    link = tx.get(REPOSITORY_LINK, link_arn)
                    if link is None:
                        return []
                    summary = attempts.record_push(attempts.context(app, tx, link), link, branch, new, judge, needs_available=True)
                break
            except Conflict:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0, 0.002 * 2**attempt))
        by_name = {key.rsplit("/", 1)[1]: v for key, v in verdicts.items()}
        return [self._line(r, by_name.get(r["ResourceName"])) for r in summary["Resources"]]

    @staticmethod
    def _line(resource: dict, verdict) -> str:
        name, status = resource["ResourceName"], resource["Status"]
        text = f"codestar-local: Git sync of stack {name}: {status}"
        if status == "INITIATED" and "BlockerId" in resource:
            text += f", fails: {verdict.reason}" if verdict and verdict.reason else ", fails"
        elif status == "BLOCKED":
            text += f" by sync blocker {resource['BlockerId']} (resolve it with UpdateSyncBlocker)"
        elif "Reason" in resource:
            text += f" ({resource['Reason']})"
        return text
