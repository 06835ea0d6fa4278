"""The Git remote of every repository link (smart HTTP, served by dulwich). See docs/GITSYNC.md.

The remote itself (remote.GitRemote) needs the `gitsync` extra (dulwich, PyYAML, cfn-lint); without it,
absent.NoGitRemote answers Git requests with a message saying so.
"""

from .urls import PREFIX, name_url, url

__all__ = ["PREFIX", "name_url", "url"]
