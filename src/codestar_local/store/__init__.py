"""Storage: one interface (base.Store), SQLite and PostgreSQL behind it."""

from .base import Item, Store, open_store

__all__ = ["Item", "Store", "open_store"]
