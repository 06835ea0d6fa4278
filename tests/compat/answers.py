"""Print the server's answers to a fixed set of requests, as JSON, normalised where AWS varies them.

Run by tests/compat/test_environments.py under each tested botocore: the output must be the same,
and botocore must never be imported, because the server serves only its shipped models.
"""

from __future__ import annotations

import json
import re
import sys

import cbor2

from codestar_local import spec
from codestar_local.app import App, Request

# Bodies every operation gets: nothing, the wrong types, and over-long strings.
BODIES = ({}, {"ConnectionName": 5, "Tags": "x", "id": [], "name": {}}, {"ConnectionArn": "a" * 3000, "ResourceArn": "", "id": "-" * 20})
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HOST_ID = re.compile(r"(:host/[A-Za-z0-9-]*?-)[0-9a-f]{8}\b")
# Valid calls in order; "$host"/"$conn" become the ARNs made before them.
FLOWS = {
    "codestar-connections": [
        ("CreateHost", {"Name": "ghes", "ProviderType": "GitHubEnterpriseServer", "ProviderEndpoint": "https://ghe.example.com"}),
        ("CreateConnection", {"ConnectionName": "c", "HostArn": "$host", "Tags": [{"Key": "k", "Value": "v"}]}),
        ("GetConnection", {"ConnectionArn": "$conn"}),
        ("ListConnections", {}),
        ("TagResource", {"ResourceArn": "$conn", "Tags": [{"Key": "k2", "Value": "v2"}]}),
        ("ListTagsForResource", {"ResourceArn": "$conn"}),
        ("GetHost", {"HostArn": "$host"}),
        ("DeleteConnection", {"ConnectionArn": "$conn"}),
        ("GetConnection", {"ConnectionArn": "$conn"}),
    ],
    "codestar": [
        ("CreateProject", {"name": "P", "id": "p-1", "tags": {"a": "b"}}),
        ("DescribeProject", {"id": "p-1"}),
        ("ListProjects", {}),
        ("AssociateTeamMember", {"projectId": "p-1", "userArn": "arn:aws:iam::111122223333:user/u", "projectRole": "Viewer"}),
        ("ListTeamMembers", {"projectId": "p-1"}),
        ("CreateUserProfile", {"userArn": "arn:aws:iam::111122223333:user/u", "displayName": "U", "emailAddress": "u@example.com"}),
        ("DescribeUserProfile", {"userArn": "arn:aws:iam::111122223333:user/u"}),
    ],
}
FLOWS["codeconnections"] = FLOWS["codestar-connections"]
SKIP_HEADERS = {"date", "x-amzn-requestid", "x-amz-request-id", "content-length"}


def auth(service: str) -> str:
    return f"AWS4-HMAC-SHA256 Credential=111122223333/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature={'0' * 64}"


def timeless(node):
    if isinstance(node, dict):
        return {k: "<time>" if "time" in k.lower() else timeless(v) for k, v in node.items()}
    if isinstance(node, list):
        return [timeless(v) for v in node]
    return node


def answer(resp, cbor: bool) -> dict:
    headers = {k.decode().lower(): v.decode() for k, v in resp.headers if k.decode().lower() not in SKIP_HEADERS}
    body = cbor2.loads(resp.body) if cbor and resp.body else (json.loads(resp.body) if resp.body else None)
    text = HOST_ID.sub(r"\1<id>", UUID.sub("<uuid>", json.dumps(timeless(body), sort_keys=True, default=str)))
    return {"status": resp.status, "headers": headers, "body": json.loads(text)}


def call(app, svc, op: str, body: dict, cbor: bool):
    name = svc.name
    if cbor:
        headers = {"content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor", "accept": "application/cbor", "authorization": auth(name)}
        return app.handle(Request("POST", f"/service/{svc.target_name}/operation/{op}", headers, cbor2.dumps(body)))
    headers = {"content-type": svc.json_content_type, "x-amz-target": f"{svc.target_prefix}.{op}", "authorization": auth(name)}
    return app.handle(Request("POST", "/", headers, json.dumps(body).encode()))


def flow(app, svc, cbor: bool, out: list) -> None:
    made = {}
    for op, body in FLOWS[svc.name]:
        body = json.loads(json.dumps(body))
        for key, value in list(body.items()):
            if isinstance(value, str) and value.startswith("$"):
                body[key] = made[value]
        resp = call(app, svc, op, body, cbor)
        doc = cbor2.loads(resp.body) if cbor and resp.body else (json.loads(resp.body) if resp.body else {})
        made.setdefault("$host", doc.get("HostArn"))
        if op == "CreateConnection":
            made["$conn"] = doc.get("ConnectionArn")
        out.append({"flow": [svc.name, op, "cbor" if cbor else "json"], **answer(resp, cbor)})


def main() -> None:
    app = App("memory")
    out = []
    for svc in spec.services().values():
        flow(app, svc, svc.supports_cbor, out)
    for name, svc in spec.services().items():
        for op in sorted(svc.operations):
            for body in BODIES:
                out.append({"call": [name, op, "json"], **answer(call(app, svc, op, body, False), False)})
                if svc.supports_cbor:
                    out.append({"call": [name, op, "cbor"], **answer(call(app, svc, op, body, True), True)})
    json.dump({"botocore_imported": any(m == "botocore" or m.startswith("botocore.") for m in sys.modules), "answers": out}, sys.stdout)


if __name__ == "__main__":
    main()
