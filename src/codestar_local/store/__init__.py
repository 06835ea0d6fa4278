"""Storage: one interface (base.Store), SQLite and PostgreSQL behind it, and the factory that picks one."""

from .base import Conflict, Item, NeedsIO, NeedsSnapshot, Store


def open_store(url: str, durability: str = "normal") -> Store:
    """'memory', a file path, sqlite:///path, or postgresql://...; durability is SQLite's (PostgreSQL has its own)."""
    if url.startswith(("postgres://", "postgresql://")):
        from .postgres import PostgresStore

        return PostgresStore(url)
    from .sqlite import SqliteStore

    if url.startswith("sqlite:///"):
        url = url[len("sqlite:///") :]
    return SqliteStore(url, durability)


__all__ = ["Conflict", "Item", "NeedsIO", "NeedsSnapshot", "Store", "open_store"]
