"""The App is still an ASGI application for users who mount it in a server of their own: here under uvicorn
(the test extra has it), with boto3 as the client."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request

import boto3
import pytest
import uvicorn

from codestar_local.app import App, Config


@pytest.fixture
def asgi_server():
    app = App("memory", Config(max_body=4096))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    sock.close()


def test_boto3_through_the_asgi_entry(asgi_server):
    client = boto3.session.Session().client("codeconnections", endpoint_url=asgi_server, region_name="us-east-1",
                                            aws_access_key_id="123456789012", aws_secret_access_key="x")
    arn = client.create_connection(ConnectionName="asgi", ProviderType="GitHub")["ConnectionArn"]
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == "asgi"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_connection(ConnectionArn=arn.replace(arn[-4:], "0000"))
    with urllib.request.urlopen(asgi_server + "/_codestar-local/health", timeout=5) as r:
        assert r.status == 200 and r.headers["x-content-type-options"] == "nosniff"


def test_the_body_limit_holds_under_asgi(asgi_server):
    req = urllib.request.Request(asgi_server + "/", data=b'{"ConnectionName": "' + b"x" * 5000 + b'"}', headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "com.amazonaws.codeconnections.CodeConnections_20231201.CreateConnection",
        "Authorization": "AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/codeconnections/aws4_request, "
                         "SignedHeaders=host, Signature=0",
    })
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 413 and e.value.headers["x-amzn-ErrorType"].endswith("RequestEntityTooLargeException")
