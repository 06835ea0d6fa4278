"""Operator actions on connections and hosts: what a person does in the AWS console.

Shared by the JSON control API and the web console. Every function runs inside a
store write transaction and returns the changed resource as the API shows it
(GetConnection's Connection, a ListHosts item).
"""

from __future__ import annotations

from ..services.connections import CONNECTION, HOST, ConnectionsProvider, effective
from .errors import ControlError

CONNECTION_STATUSES = ("PENDING", "AVAILABLE", "ERROR")
HOST_STATUSES = (
    "PENDING",
    "AVAILABLE",
    "VPC_CONFIG_INITIALIZING",
    "VPC_CONFIG_FAILED_INITIALIZATION",
    "VPC_CONFIG_DELETING",
)
MAX_TEXT = 1024  # StatusMessage and installation labels


def account_of(arn: str) -> str | None:
    """The account an ARN names: the lock its write takes (None, not an ARN of an account: every account's lock).
    A resource found by its ARN belongs to that account, since ARNs are its ids."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and len(parts[4]) == 12 and parts[4].isdigit() else None


def connection_view(data: dict) -> dict:
    return ConnectionsProvider.connection_view(data)


def host_view(data: dict) -> dict:
    return ConnectionsProvider.host_view(data)


def text(body: dict, key: str, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if type(value) is not str or not value:
        raise ControlError(400, "InvalidParameter", f"{key} is required and must be a non-empty string")
    if len(value) > MAX_TEXT * 2:
        raise ControlError(400, "InvalidParameter", f"{key} is too long")
    return value


def choice(value, allowed: tuple, key: str) -> str:
    if value not in allowed:
        raise ControlError(400, "InvalidParameter", f"{key} must be one of {', '.join(allowed)}")
    return value


def find(tx, kind: str, arn: str, now: float, account: str | None = None, region: str | None = None):
    """The connection or host `arn`; with `account` (and, for hosts, `region`) given, only if it is theirs."""
    item = tx.get(kind, arn)
    parts = arn.split(":")
    if item is not None and len(parts) > 4 and (
        (account is not None and parts[4] != account) or (region is not None and kind != CONNECTION and parts[3] != region)
    ):
        item = None  # another account's: as if it did not exist, as the AWS API answers
    if item is None:
        label = "Connection" if kind == CONNECTION else "Host"
        raise ControlError(404, "ResourceNotFound", f"{label} {arn} does not exist")
    effective(item, now)
    return item


def set_connection_status(tx, arn: str, status: str, now: float, scope: tuple = (None, None)) -> dict:
    item = find(tx, CONNECTION, arn, now, *scope)
    data = item.data
    # An explicit status wins over a pending timed change (auto-handshake).
    data.pop("_next", None)
    data["ConnectionStatus"] = status
    if status != "AVAILABLE":
        data.pop("_installation", None)
    tx.update(item)
    return connection_view(data)


def handshake(tx, arn: str, now: float, installation: str | None = None, scope: tuple = (None, None)) -> dict:
    """The console's "Update pending connection": PENDING or ERROR -> AVAILABLE."""
    item = find(tx, CONNECTION, arn, now, *scope)
    data = item.data
    if data["ConnectionStatus"] == "AVAILABLE":
        return connection_view(data)
    host_arn = data.get("HostArn")
    if host_arn:
        host = tx.get(HOST, host_arn)
        if host is not None and effective(host, now)["Status"] != "AVAILABLE":
            raise ControlError(
                409,
                "HostNotAvailable",
                f"The connection uses host {host_arn}, which is {host.data['Status']}. Set up the host first",
            )
    data.pop("_next", None)
    data["ConnectionStatus"] = "AVAILABLE"
    if installation:
        data["_installation"] = installation
    tx.update(item)
    return connection_view(data)


def set_host_status(tx, arn: str, status: str, now: float, message: str | None = None, scope: tuple = (None, None)) -> dict:
    item = find(tx, HOST, arn, now, *scope)
    data = item.data
    data.pop("_next", None)
    data["Status"] = status
    if message:
        data["StatusMessage"] = message
    else:
        data.pop("StatusMessage", None)
    tx.update(item)
    return host_view(data)


def set_up_host(tx, arn: str, now: float, scope: tuple = (None, None)) -> dict:
    """The console's "Set up host": only a PENDING host can be set up (VPC set-up must finish first)."""
    item = find(tx, HOST, arn, now, *scope)
    status = item.data["Status"]
    if status == "AVAILABLE":
        return host_view(item.data)
    if status != "PENDING":
        raise ControlError(409, "InvalidState", f"Host {arn} is {status}; only a PENDING host can be set up")
    return set_host_status(tx, arn, "AVAILABLE", now)
