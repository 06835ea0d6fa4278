"""Providers: business rules only. Method names are the botocore xform_name of the operation."""

from .connections import ConnectionsProvider


def providers(app) -> dict:
    connections = ConnectionsProvider(app)
    # One provider, one store: both endpoints are the same product (FACTS 1.10).
    return {"codestar-connections": connections, "codeconnections": connections}
