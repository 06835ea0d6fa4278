"""Test helpers: the in-process mock (mock_codestar) and the pytest plugin's server."""

from .mock import MockCodestar, current, mock_codestar

__all__ = ["MockCodestar", "current", "mock_codestar"]
