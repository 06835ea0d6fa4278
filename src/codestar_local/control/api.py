"""JSON operator endpoints: handshake, statuses, host set-up, state snapshots, request log."""

from __future__ import annotations

import datetime
import urllib.parse

from . import actions, snapshot
from .errors import ControlError, json_response

P = "/_codestar-local"
DEFAULT_LOG_LIMIT = 50


def request_rows(app, limit: int, account: str | None = None) -> list[dict]:
    """The newest `limit` API calls first, from App.recent."""
    rows = []
    for when, service, operation, acct, status, latency in reversed(app.recent):
        if account is not None and acct != account:
            continue
        rows.append(
            {
                "time": datetime.datetime.fromtimestamp(when, datetime.timezone.utc).isoformat(timespec="milliseconds"),
                "service": service,
                "operation": operation,
                "account": acct,
                "status": status,
                "latency_ms": round(latency, 3),
            }
        )
        if len(rows) == limit:
            break
    return rows


class OperatorApi:
    def __init__(self, control):
        self.control = control
        self.app = control.app

    def routes(self) -> dict:
        return {
            ("POST", f"{P}/connections/handshake"): self.connection_handshake,
            ("POST", f"{P}/connections/status"): self.connection_status,
            ("POST", f"{P}/hosts/status"): self.host_status,
            ("POST", f"{P}/hosts/setup"): self.host_setup,
            ("GET", f"{P}/state"): self.state_export,
            ("PUT", f"{P}/state"): self.state_import,
            ("GET", f"{P}/requests"): self.requests,
        }

    def connection_handshake(self, req):
        body = self.control.body(req)
        arn = actions.text(body, "ConnectionArn")
        installation = actions.text(body, "InstallationId", required=False)
        with self.app.store.write(actions.account_of(arn)) as tx:
            view = actions.handshake(tx, arn, self.app.clock(), installation, self._narrowing(body))
        return json_response(200, view)

    def connection_status(self, req):
        body = self.control.body(req)
        arn = actions.text(body, "ConnectionArn")
        status = actions.choice(body.get("ConnectionStatus"), actions.CONNECTION_STATUSES, "ConnectionStatus")
        with self.app.store.write(actions.account_of(arn)) as tx:
            view = actions.set_connection_status(tx, arn, status, self.app.clock(), self._narrowing(body))
        return json_response(200, view)

    def host_status(self, req):
        body = self.control.body(req)
        arn = actions.text(body, "HostArn")
        status = actions.choice(body.get("Status"), actions.HOST_STATUSES, "Status")
        message = actions.text(body, "StatusMessage", required=False)
        if message is not None and len(message) > actions.MAX_TEXT:
            raise ControlError(400, "InvalidParameter", f"StatusMessage is longer than {actions.MAX_TEXT} characters")
        with self.app.store.write(actions.account_of(arn)) as tx:
            view = actions.set_host_status(tx, arn, status, self.app.clock(), message, self._narrowing(body))
        return json_response(200, view)

    def host_setup(self, req):
        body = self.control.body(req)
        arn = actions.text(body, "HostArn")
        with self.app.store.write(actions.account_of(arn)) as tx:
            view = actions.set_up_host(tx, arn, self.app.clock(), self._narrowing(body))
        return json_response(200, view)

    def _narrowing(self, body: dict) -> tuple:
        """(account, region) a call names with optional AccountId/Region: a resource of another is not found."""
        account, region = body.get("AccountId"), body.get("Region")
        if account is not None or region is not None:
            checked = self.control.scope({k: v for k, v in (("AccountId", account), ("Region", region)) if v is not None})
            account = checked[0] if account is not None else None
            region = checked[1] if region is not None else None
        return account, region

    def state_export(self, req):
        return json_response(200, snapshot.export(self.app.store))

    def state_import(self, req):
        body = self.control.body(req)
        try:
            count = snapshot.load(self.app.store, body)
        except snapshot.SnapshotError as e:
            raise ControlError(400, "InvalidSnapshot", "The snapshot is not valid: " + "; ".join(e.problems)) from None
        self.app.git.sweep()  # links kept keep their Git repositories; the others' go (docs/GITSYNC.md)
        return json_response(200, {"imported": True, "items": count})

    def requests(self, req):
        query = urllib.parse.parse_qs(req.query, keep_blank_values=True)
        limit = query.get("limit", [str(DEFAULT_LOG_LIMIT)])[-1]
        size = self.app.recent.maxlen
        if not limit.isdigit() or not 1 <= int(limit) <= size:
            raise ControlError(400, "InvalidParameter", f"limit must be an integer from 1 to {size}")
        account = query.get("account", [None])[-1]
        return json_response(200, {"requests": request_rows(self.app, int(limit), account)})
