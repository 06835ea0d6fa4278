"""The Git remote of every repository link (smart HTTP, served by dulwich). See docs/GITSYNC.md."""

from .remote import PREFIX, GitRemote, name_url, url

__all__ = ["PREFIX", "GitRemote", "name_url", "url"]
