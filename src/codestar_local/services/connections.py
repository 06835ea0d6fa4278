"""CodeStar Connections / CodeConnections: connections, hosts and tags.

One provider serves both endpoints from one store; a resource's ARN carries the
service prefix of the endpoint that created it (ctx.service.arn_service).
Rules and their sources: docs/BEHAVIOUR.md and ../shared/FACTS.md §1-§3.
"""

from __future__ import annotations

import os
import secrets

from ..errors import AwsError
from ..store.base import make_token, read_token

CONNECTION = "connection"
HOST = "host"
REPOSITORY_LINK = "repository_link"

# ARN resource type -> store kind, for the tagging operations.
TAGGABLE = {"connection": CONNECTION, "host": HOST, "repository-link": REPOSITORY_LINK}

HOSTED_PROVIDERS = ("GitHubEnterpriseServer", "GitLabSelfManaged")
CONNECTION_QUOTA = 250  # per account and home region (FACTS 2.1)
HOST_QUOTA = 50  # per account and region (FACTS 2.2)
TAG_QUOTA = 50  # per resource (FACTS 2.4)
DEFAULT_PAGE_SIZE = 100  # MaxResults absent or 0


def random_uuid() -> str:
    """A version 4 UUID as text, as str(uuid.uuid4()) gives it, for half the cost (no UUID object)."""
    b = bytearray(os.urandom(16))
    b[6] = b[6] & 0x0F | 0x40  # version 4
    b[8] = b[8] & 0x3F | 0x80  # RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def parse_arn(arn: str):
    """(service, region, account, resource type, resource id) or None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    rtype, _, rid = parts[5].partition("/")
    return parts[2], parts[3], parts[4], rtype, rid


def effective(item, now: float) -> dict:
    """Apply the timed status changes that are due (VPC set-up, auto-handshake).

    `_next` is [field, value, due time] with an optional fourth element: the change after it, same form.
    """
    data = item.data
    nxt = data.get("_next")
    while nxt is not None and now >= nxt[2]:
        data[nxt[0]] = nxt[1]
        if nxt[1] != "VPC_CONFIG_FAILED_INITIALIZATION":
            data.pop("StatusMessage", None)
        nxt = nxt[3] if len(nxt) > 3 else None
        if nxt is None:
            del data["_next"]
        else:
            data["_next"] = nxt
    return data


# How a service pages: (token member, limit member, error for a bad token, URL-safe token alphabet).
PAGING = ("NextToken", "MaxResults", "ValidationException", True)


def list_page(ctx, params, kind: str, key: str, view, keep=None, region=None, parent=None, paging=PAGING) -> dict:
    """One page of a List operation: keyset pagination over the caller's items of `kind`, in creation order.

    `view` turns an item into its output shape, `keep` filters; the answer is {key: [...], token member?}.
    """
    token_key, limit_key, error, urlsafe = paging
    after = read_token(kind, params.get(token_key), error, urlsafe)
    limit = params.get(limit_key) or DEFAULT_PAGE_SIZE
    chosen = []
    out = {key: chosen}
    last = None
    # Without a filter, one row past the page is enough to know whether another page follows.
    rows = ctx.tx.list(kind, ctx.account, region, parent=parent, after=after, limit=None if keep else limit + 1)
    for item in rows:
        if keep is not None and not keep(item):
            continue
        if len(chosen) == limit:
            out[token_key] = make_token(kind, last.seq, urlsafe)
            break
        chosen.append(view(item))
        last = item
    return out


def merge_tags(existing: list, new: list) -> list:
    merged = {t["Key"]: t.get("Value", "") for t in existing}
    for t in new:
        merged[t["Key"]] = t.get("Value", "")
    return [{"Key": k, "Value": v} for k, v in merged.items()]


def check_tag_quota(tags: list) -> None:
    if len({t["Key"] for t in tags}) > TAG_QUOTA:
        raise AwsError("LimitExceededException", f"Tag limit exceeded: a resource can have at most {TAG_QUOTA} tags")


class ConnectionsProvider:
    def __init__(self, app):
        self.app = app

    # -- lookups -----------------------------------------------------------
    def _connection(self, ctx, arn: str):
        item = ctx.tx.get(CONNECTION, arn)
        if item is None or item.account != ctx.account:
            raise AwsError("ResourceNotFoundException", f"Connection {arn} does not exist")
        effective(item, ctx.now)
        return item

    def _host(self, ctx, arn: str):
        item = ctx.tx.get(HOST, arn)
        # Hosts are regional (FACTS 1.5): another region's host is not found here.
        if item is None or item.account != ctx.account or item.region != ctx.region:
            raise AwsError("ResourceNotFoundException", f"Host {arn} does not exist")
        effective(item, ctx.now)
        return item

    def _new_id(self, ctx, kind: str, make) -> str:
        while True:
            candidate = make()
            if ctx.tx.get(kind, candidate) is None and not ctx.tx.is_retired(candidate):
                return candidate

    def _timed(self, ctx, data: dict, field: str, value: str, delay: float | None) -> None:
        if delay is not None:
            data["_next"] = [field, value, ctx.now + delay]

    # -- connections -------------------------------------------------------
    def create_connection(self, ctx, p):
        provider_type = p.get("ProviderType")
        host_arn = p.get("HostArn")
        if host_arn:
            host = ctx.tx.get(HOST, host_arn)
            if host is None or host.account != ctx.account or host.region != ctx.region:
                raise AwsError("ResourceUnavailableException", f"Resource not found. Verify the ARN for the host resource: {host_arn}")
            host_type = host.data["ProviderType"]
            if provider_type and provider_type != host_type:
                raise AwsError(
                    "ValidationException",
                    f"ProviderType {provider_type} does not match the provider type {host_type} of host {host_arn}",
                )
            provider_type = host_type
        elif not provider_type:
            raise AwsError("ValidationException", "Either ProviderType or HostArn must be specified")
        elif provider_type in HOSTED_PROVIDERS:
            raise AwsError("ValidationException", "To use a hosted provider specify HostArn instead of ProviderType")
        if ctx.tx.count(CONNECTION, ctx.account, ctx.region) >= CONNECTION_QUOTA:
            raise AwsError("LimitExceededException", "Exceeded the maximum limit for connections")
        tags = merge_tags([], p.get("Tags") or [])
        check_tag_quota(tags)
        # uuid4 ids do not repeat; the UNIQUE constraint backs that up without a look-up.
        arn = ctx.arn(f"connection/{random_uuid()}")
        data = {
            "ConnectionName": p["ConnectionName"],
            "ConnectionArn": arn,
            "ProviderType": provider_type,
            "OwnerAccountId": ctx.account,
            "ConnectionStatus": "PENDING",
            "Tags": tags,
            "CreatedAt": ctx.now,
        }
        if host_arn:
            data["HostArn"] = host_arn
        self._timed(ctx, data, "ConnectionStatus", "AVAILABLE", ctx.app.config.auto_handshake)
        ctx.tx.insert(CONNECTION, arn, ctx.account, ctx.region, data, parent=host_arn or None)
        out = {"ConnectionArn": arn}
        if "Tags" in p:
            out["Tags"] = p["Tags"]
        return out

    @staticmethod
    def connection_view(data: dict) -> dict:
        view = {
            "ConnectionName": data["ConnectionName"],
            "ConnectionArn": data["ConnectionArn"],
            "ProviderType": data["ProviderType"],
            "OwnerAccountId": data["OwnerAccountId"],
            "ConnectionStatus": data["ConnectionStatus"],
        }
        if data.get("HostArn"):
            view["HostArn"] = data["HostArn"]
        return view

    def get_connection(self, ctx, p):
        return {"Connection": self.connection_view(self._connection(ctx, p["ConnectionArn"]).data)}

    def list_connections(self, ctx, p):
        ptype = p.get("ProviderTypeFilter")
        host = p.get("HostArnFilter")

        def keep(item):
            d = item.data
            return (ptype is None or d["ProviderType"] == ptype) and (not host or d.get("HostArn") == host)

        # Connections are global: every region of the account lists them (FACTS 1.4).
        return list_page(ctx, p, CONNECTION, "Connections", lambda i: self.connection_view(effective(i, ctx.now)), keep)

    def delete_connection(self, ctx, p):
        item = self._connection(ctx, p["ConnectionArn"])
        hook = getattr(self, "before_delete_connection", None)
        if hook is not None:
            hook(ctx, item)
        ctx.tx.delete(CONNECTION, item.id)
        ctx.tx.retire(item.id)
        return {}

    # -- hosts -------------------------------------------------------------
    def create_host(self, ctx, p):
        provider_type = p["ProviderType"]
        if provider_type not in HOSTED_PROVIDERS:
            raise AwsError(
                "UnsupportedProviderTypeException",
                f"The provider type {provider_type} is not supported for hosts. "
                f"Hosts are for installed providers: {', '.join(HOSTED_PROVIDERS)}",
            )
        if ctx.tx.count(HOST, ctx.account, ctx.region) >= HOST_QUOTA:
            raise AwsError("LimitExceededException", "Exceeded the maximum limit for hosts")
        tags = merge_tags([], p.get("Tags") or [])
        check_tag_quota(tags)
        name = p["Name"]
        arn = self._new_id(ctx, HOST, lambda: ctx.arn(f"host/{name[:10]}-{secrets.token_hex(4)}"))
        data = {
            "Name": name,
            "HostArn": arn,
            "ProviderType": provider_type,
            "ProviderEndpoint": p["ProviderEndpoint"],
            "Tags": tags,
            "CreatedAt": ctx.now,
        }
        self._set_up(ctx, data, p.get("VpcConfiguration"))
        ctx.tx.insert(HOST, arn, ctx.account, ctx.region, data)
        out = {"HostArn": arn}
        if "Tags" in p:
            out["Tags"] = p["Tags"]
        return out

    def _set_up(self, ctx, data: dict, vpc: dict | None) -> None:
        """A new or re-configured host: VPC set-up first when it has a VPC, then PENDING."""
        config = ctx.app.config
        data.pop("StatusMessage", None)
        data.pop("_next", None)
        if vpc:
            data["VpcConfiguration"] = vpc
            data["Status"] = "VPC_CONFIG_INITIALIZING"
            self._timed(ctx, data, "Status", "PENDING", config.vpc_init_seconds)
            if config.auto_handshake is not None:
                # With auto-handshake the set-up follows the VPC initialisation.
                ready = data["_next"][2]
                data["_next"].append(["Status", "AVAILABLE", ready + config.auto_handshake])
        else:
            data["Status"] = "PENDING"
            self._timed(ctx, data, "Status", "AVAILABLE", config.auto_handshake)

    def get_host(self, ctx, p):
        d = self._host(ctx, p["HostArn"]).data
        out = {"Name": d["Name"], "Status": d["Status"], "ProviderType": d["ProviderType"], "ProviderEndpoint": d["ProviderEndpoint"]}
        if d.get("VpcConfiguration"):
            out["VpcConfiguration"] = d["VpcConfiguration"]
        return out

    @staticmethod
    def host_view(d: dict) -> dict:
        view = {
            "Name": d["Name"],
            "HostArn": d["HostArn"],
            "ProviderType": d["ProviderType"],
            "ProviderEndpoint": d["ProviderEndpoint"],
        }
        if d.get("VpcConfiguration"):
            view["VpcConfiguration"] = d["VpcConfiguration"]
        view["Status"] = d["Status"]
        if d.get("StatusMessage"):
            view["StatusMessage"] = d["StatusMessage"]
        return view

    def list_hosts(self, ctx, p):
        return list_page(ctx, p, HOST, "Hosts", lambda i: self.host_view(effective(i, ctx.now)), region=ctx.region)

    def update_host(self, ctx, p):
        item = self._host(ctx, p["HostArn"])
        d = item.data
        if d["Status"] != "PENDING":
            raise AwsError(
                "UnsupportedOperationException",
                f"Updating the host is not supported in status {d['Status']}. Check the host status: only a PENDING host can be updated",
            )
        endpoint = p.get("ProviderEndpoint")
        if endpoint and endpoint != d["ProviderEndpoint"]:
            for other in ctx.tx.list(HOST, ctx.account, ctx.region):
                if other.id != item.id and other.data["ProviderEndpoint"] == endpoint:
                    raise AwsError("ConflictException", f"The provider endpoint {endpoint} is already used by host {other.id}")
            d["ProviderEndpoint"] = endpoint
        if "VpcConfiguration" in p and p["VpcConfiguration"] is not None:
            self._set_up(ctx, d, p["VpcConfiguration"])
        ctx.tx.update(item)
        return {}

    def delete_host(self, ctx, p):
        item = self._host(ctx, p["HostArn"])
        status = item.data["Status"]
        if status in ("VPC_CONFIG_INITIALIZING", "VPC_CONFIG_DELETING"):
            raise AwsError("ResourceUnavailableException", f"The host cannot be deleted while its status is {status}")
        if ctx.tx.count(CONNECTION, None, parent=item.id):
            raise AwsError(
                "ResourceUnavailableException",
                "The host cannot be deleted because connections still use it. Delete all connections of the host first",
            )
        ctx.tx.delete(HOST, item.id)
        ctx.tx.retire(item.id)
        return {}

    # -- tags --------------------------------------------------------------
    def _taggable(self, ctx, arn: str):
        parts = parse_arn(arn)
        kind = TAGGABLE.get(parts[3]) if parts else None
        item = ctx.tx.get(kind, arn) if kind else None
        if item is None or item.account != ctx.account or (kind in (HOST, REPOSITORY_LINK) and item.region != ctx.region):
            raise AwsError("ResourceNotFoundException", f"Resource {arn} does not exist")
        return item

    def tag_resource(self, ctx, p):
        item = self._taggable(ctx, p["ResourceArn"])
        tags = merge_tags(item.data.get("Tags", []), p["Tags"])
        check_tag_quota(tags)
        item.data["Tags"] = tags
        ctx.tx.update(item)
        return {}

    def untag_resource(self, ctx, p):
        item = self._taggable(ctx, p["ResourceArn"])
        drop = set(p["TagKeys"])
        item.data["Tags"] = [t for t in item.data.get("Tags", []) if t["Key"] not in drop]
        ctx.tx.update(item)
        return {}

    def list_tags_for_resource(self, ctx, p):
        return {"Tags": list(self._taggable(ctx, p["ResourceArn"]).data.get("Tags", []))}
