"""Providers: business rules only. Method names are the botocore xform_name of the operation."""

from .codestar import CodeStarProvider
from .connections import ConnectionsProvider
from .sync import SyncMixin


class Provider(SyncMixin, ConnectionsProvider):
    """Connections, hosts and tags (connections.py) plus Git sync (sync.py)."""


def providers(app) -> dict:
    connections = Provider(app)
    # One provider, one store: both endpoints are the same product (FACTS 1.10).
    return {"codestar-connections": connections, "codeconnections": connections, "codestar": CodeStarProvider(app)}
