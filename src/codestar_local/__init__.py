"""codestar-local: a local emulator of AWS CodeStar Connections, CodeConnections and CodeStar."""

__version__ = "0.1.0"

__all__ = ["__version__", "mock_codestar"]


def __getattr__(name):
    # Imported on first use: the server never pays for the mock's botocore hook.
    if name == "mock_codestar":
        from .testing.mock import mock_codestar

        return mock_codestar
    raise AttributeError(f"module 'codestar_local' has no attribute {name!r}")
