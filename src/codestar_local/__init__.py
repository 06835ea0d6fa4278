"""codestar-local: a local emulator of AWS CodeStar Connections, CodeConnections and CodeStar."""

__version__ = "0.1.0"

__all__ = ["__version__"]
