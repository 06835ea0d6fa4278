"""mock_codestar: boto3 clients answered in-process by App.handle, in every form it can be used."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.config
import botocore.exceptions
import botocore.session
import pytest

from codestar_local import mock_codestar, spec
from codestar_local.testing import current
from codestar_local.testing.mock import FAKE_KEY_ID, MockCodestar

ONE_TRY = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_DATA_PATH")


@pytest.fixture(autouse=True)
def bare_env(monkeypatch):
    """No credentials, region or data path from the machine: the mock must supply them."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def new_client(service, **kw):
    """A client of a new botocore session, as code under test would make one."""
    return boto3.session.Session().client(service, config=ONE_TRY, **kw)


def names(client) -> list[str]:
    return sorted(c["ConnectionName"] for c in client.list_connections()["Connections"])


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the context manager ---------------------------------------------------------
def test_answers_both_connection_services_from_one_state():
    with mock_codestar() as m:
        old = new_client("codestar-connections")
        arn = old.create_connection(ConnectionName="a", ProviderType="GitHub")["ConnectionArn"]
        assert arn.startswith("arn:aws:codestar-connections:us-east-1:000000000000:connection/")
        new = new_client("codeconnections")
        got = new.get_connection(ConnectionArn=arn)["Connection"]
        assert got["ConnectionStatus"] == "PENDING" and got["OwnerAccountId"] == "000000000000"
        assert [r[1:3] for r in m.app.recent] == [
            ("codestar-connections", "CreateConnection"),
            ("codeconnections", "GetConnection"),
        ]


def test_codestar_model_is_visible_inside_only():
    with mock_codestar() as m:
        client = new_client("codestar")
        assert client.list_projects()["projects"] == []
        client.create_project(name="Mocked", id="mocked", tags={"a": "b"})
        assert client.describe_project(id="mocked")["status"]["state"] in ("CreateInProgress", "CreateComplete")
        assert [t["projectRole"] for t in client.list_team_members(projectId="mocked")["teamMembers"]] == ["Owner"]
        with pytest.raises(client.exceptions.ProjectAlreadyExistsException):
            client.create_project(name="Mocked", id="mocked")
        # Answered by the emulator, not by the network.
        assert m.app.recent[-1][1:3] == ("codestar", "CreateProject")
    if "codestar" in botocore.session.get_session().get_available_services():
        return  # a botocore of 1.35 or older ships codestar itself
    with pytest.raises(botocore.exceptions.UnknownServiceError):
        new_client("codestar", region_name="us-east-1")


def test_errors_are_aws_errors():
    with mock_codestar():
        client = new_client("codestar-connections")
        missing = "arn:aws:codestar-connections:us-east-1:000000000000:connection/6f1c1d0e-8f55-4a52-9f1d-0c8e2b7a1a11"
        with pytest.raises(client.exceptions.ResourceNotFoundException) as err:
            client.get_connection(ConnectionArn=missing)
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        with pytest.raises(botocore.exceptions.ClientError) as err:
            client.get_connection(ConnectionArn="not-an-arn")
        assert err.value.response["Error"]["Code"] == "ValidationException"
        assert "failed to satisfy constraint" in err.value.response["Error"]["Message"]


def test_client_made_before_the_block_is_answered():
    before = new_client("codestar-connections", region_name="eu-west-1", aws_access_key_id="111122223333", aws_secret_access_key="x")
    with mock_codestar() as m:
        arn = before.create_connection(ConnectionName="early", ProviderType="GitLab")["ConnectionArn"]
        assert arn.startswith("arn:aws:codestar-connections:eu-west-1:111122223333:")
        assert len(m.app.recent) == 1


def test_other_services_are_not_intercepted():
    port = closed_port()
    with mock_codestar() as m:
        for service, call in (("s3", lambda c: c.list_buckets()), ("sqs", lambda c: c.list_queues())):
            client = new_client(service, endpoint_url=f"http://127.0.0.1:{port}")
            with pytest.raises(botocore.exceptions.EndpointConnectionError):
                call(client)
        assert len(m.app.recent) == 0


def test_outside_a_block_nothing_is_intercepted():
    port = closed_port()
    client = new_client("codestar-connections", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="k", aws_secret_access_key="s")
    with mock_codestar():
        client.list_connections()
    assert current() is None
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        client.list_connections()


# -- options -----------------------------------------------------------------------
def test_account_and_region_options():
    with mock_codestar(account="123456789012", region="eu-central-1") as m:
        assert os.environ["AWS_DEFAULT_REGION"] == "eu-central-1"
        arn = new_client("codeconnections").create_connection(ConnectionName="x", ProviderType="GitHub")["ConnectionArn"]
        assert arn.startswith("arn:aws:codeconnections:eu-central-1:123456789012:connection/")
        # A 12-digit access key id still names its own account, as on the server.
        other = new_client("codeconnections", aws_access_key_id="210987654321", aws_secret_access_key="x")
        assert other.list_connections()["Connections"] == []
        assert m.client("codeconnections").list_connections()["Connections"][0]["ConnectionArn"] == arn


def test_bad_options_are_refused():
    with pytest.raises(ValueError):
        mock_codestar(account="12345")
    with pytest.raises(ValueError):
        mock_codestar(app=object(), store="memory")


def test_auto_handshake_and_handshake():
    with mock_codestar(auto_handshake=True):
        client = new_client("codestar-connections")
        arn = client.create_connection(ConnectionName="x", ProviderType="GitHub")["ConnectionArn"]
        assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "AVAILABLE"
    with mock_codestar() as m:
        client = new_client("codestar-connections")
        arn = client.create_connection(ConnectionName="x", ProviderType="GitHub")["ConnectionArn"]
        assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "PENDING"
        assert m.handshake(arn)["ConnectionStatus"] == "AVAILABLE"
        assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "AVAILABLE"
        with pytest.raises(RuntimeError, match="404"):
            m.handshake(arn.replace(arn[-12:], "000000000000"))


def test_state_option_loads_a_dump_or_an_exported_snapshot():
    with mock_codestar() as m:
        arn = new_client("codestar-connections").create_connection(ConnectionName="kept", ProviderType="GitHub")["ConnectionArn"]
        dump = m.dump()
        exported = m.control("GET", "state")
    for state in (dump, exported):
        with mock_codestar(state=state):
            client = new_client("codestar-connections")
            assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == "kept"
    with pytest.raises(RuntimeError, match="InvalidSnapshot"):
        mock_codestar(state={**exported, "items": [{"kind": "connection"}]}).start()
    assert current() is None


def test_environment_is_set_only_when_missing_and_restored(monkeypatch):
    with mock_codestar():
        assert os.environ["AWS_ACCESS_KEY_ID"] == FAKE_KEY_ID
        assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
        assert os.environ["AWS_DATA_PATH"]
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_DATA_PATH"):
        assert name not in os.environ
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXISTING")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "existing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    monkeypatch.setenv("AWS_DATA_PATH", "/somewhere")
    with mock_codestar(account="123456789012"):
        assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAEXISTING"
        assert os.environ["AWS_DEFAULT_REGION"] == "ap-south-1"
        assert os.environ["AWS_DATA_PATH"].endswith(os.pathsep + "/somewhere")
        # A key that names no account is the mock's account.
        arn = new_client("codestar-connections").create_connection(ConnectionName="x", ProviderType="GitHub")["ConnectionArn"]
        assert arn.startswith("arn:aws:codestar-connections:ap-south-1:123456789012:")
    assert os.environ["AWS_DATA_PATH"] == "/somewhere"


# -- isolation, nesting, threads ------------------------------------------------
def test_each_block_starts_empty():
    for _ in range(2):
        with mock_codestar():
            client = new_client("codestar-connections")
            assert names(client) == []
            client.create_connection(ConnectionName="one", ProviderType="GitHub")


def test_nested_blocks_have_their_own_state_unless_shared():
    with mock_codestar() as outer:
        client = new_client("codestar-connections")
        client.create_connection(ConnectionName="outer", ProviderType="GitHub")
        with mock_codestar() as inner:
            assert current() is inner
            assert names(client) == []
            client.create_connection(ConnectionName="inner", ProviderType="GitHub")
            with mock_codestar(app=outer):
                assert names(client) == ["outer"]
        assert current() is outer
        assert names(client) == ["outer"]
        assert os.environ["AWS_ACCESS_KEY_ID"] == FAKE_KEY_ID  # still set: a mock is active
    assert "AWS_ACCESS_KEY_ID" not in os.environ


def test_one_mock_object_cannot_be_entered_twice():
    m = mock_codestar()
    with m:
        with pytest.raises(RuntimeError):
            m.start()
    with m:  # again after it ended: a fresh state
        assert names(new_client("codestar-connections")) == []


def test_worker_threads_use_the_block_that_started_them():
    with mock_codestar() as m:
        client = new_client("codestar-connections")
        with ThreadPoolExecutor(4) as pool:
            arns = list(pool.map(lambda i: client.create_connection(ConnectionName=f"t{i}", ProviderType="GitHub")["ConnectionArn"], range(8)))
        assert len(set(arns)) == 8
        assert names(client) == sorted(f"t{i}" for i in range(8))
        assert len(m.app.recent) == 9


def test_threads_with_their_own_blocks_are_isolated():
    barrier = threading.Barrier(2, timeout=30)
    seen = {}

    def work(name):
        with mock_codestar():
            client = new_client("codestar-connections")
            client.create_connection(ConnectionName=name, ProviderType="GitHub")
            barrier.wait()  # both mocks active at once
            seen[name] = names(client)
            barrier.wait()

    threads = [threading.Thread(target=work, args=(n,)) for n in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert seen == {"left": ["left"], "right": ["right"]}
    assert current() is None


# -- decorators -------------------------------------------------------------------
def test_decorated_function_gets_fresh_state_per_call():
    @mock_codestar
    def create_and_count(name):
        client = new_client("codestar-connections")
        client.create_connection(ConnectionName=name, ProviderType="GitHub")
        return names(client)

    assert create_and_count("a") == ["a"]
    assert create_and_count("b") == ["b"]
    assert create_and_count.__name__ == "create_and_count"
    assert current() is None


def test_decorator_with_options():
    @mock_codestar(account="123456789012", region="sa-east-1")
    def arn():
        return new_client("codestar-connections").create_connection(ConnectionName="x", ProviderType="GitHub")["ConnectionArn"]

    assert arn().startswith("arn:aws:codestar-connections:sa-east-1:123456789012:")


def test_decorated_coroutine_function():
    @mock_codestar
    async def flow():
        client = new_client("codeconnections")
        arn = client.create_connection(ConnectionName="async", ProviderType="GitHub")["ConnectionArn"]
        # A call from the default executor (another thread) reaches the same mock.
        got = await asyncio.get_running_loop().run_in_executor(None, lambda: client.get_connection(ConnectionArn=arn))
        await asyncio.sleep(0)
        return got["Connection"]["ConnectionName"], current()

    name, mock = asyncio.run(flow())
    assert name == "async" and isinstance(mock, MockCodestar) and not mock.active
    assert asyncio.iscoroutinefunction(flow)


def test_decorated_plain_class():
    @mock_codestar(account="123456789012")
    class Flows:
        prefix = "c"

        def test_one(self):
            client = new_client("codestar-connections")
            client.create_connection(ConnectionName=self.prefix + "1", ProviderType="GitHub")
            return names(client), current().account

        async def test_async(self):
            return names(new_client("codestar-connections"))

        @staticmethod
        def test_static():
            return current() is not None

        def helper(self):
            return current()

    flows = Flows()
    assert flows.test_one() == (["c1"], "123456789012")
    assert flows.test_one() == (["c1"], "123456789012")  # a fresh state each time
    assert asyncio.run(flows.test_async()) == []
    assert Flows.test_static() is True
    assert flows.helper() is None


def test_decorated_unittest_case_shares_one_mock_from_set_up_to_cleanup():
    events = []

    @mock_codestar
    class Case(unittest.TestCase):
        def setUp(self):
            self.client = new_client("codestar-connections")
            self.arn = self.client.create_connection(ConnectionName="fixture", ProviderType="GitHub")["ConnectionArn"]

        def test_sees_set_up_state(self):
            events.append(names(self.client))
            self.client.delete_connection(ConnectionArn=self.arn)

        def test_again_fresh(self):
            events.append(names(self.client))

        def tearDown(self):
            events.append(len(self.client.list_connections()["Connections"]))

    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(Case).run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    assert result.testsRun == 2
    assert sorted(map(str, events)) == sorted(map(str, [["fixture"], 1, ["fixture"], 0]))
    assert current() is None


def test_session_made_before_the_import_is_hooked_when_a_mock_starts():
    code = (
        "import boto3\n"
        "boto3.client('s3', region_name='us-east-1')\n"  # boto3's default session, older than the hook
        "from codestar_local import mock_codestar\n"
        "with mock_codestar(account='123456789012'):\n"
        "    c = boto3.client('codestar-connections')\n"
        "    print(c.create_connection(ConnectionName='x', ProviderType='GitHub')['ConnectionArn'])\n"
        "    print(boto3.client('codestar').meta.service_model.service_id)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("arn:aws:codestar-connections:us-east-1:123456789012:connection/")
    assert lines[1] == "CodeStar"


def test_rpc_v2_cbor_requests_are_answered(tmp_path):
    """codeconnections forced onto Smithy RPC v2 CBOR: the body is bytes, the operation is in the path."""
    import botocore.serialize

    if "smithy-rpc-v2-cbor" not in botocore.serialize.SERIALIZERS:
        return  # botocore < 1.37.2 cannot send CBOR at all (tests/compat runs this file there); JSON is tested above
    model = json.loads((spec.DATA / "codeconnections" / "2023-12-01" / "service-2.json").read_text())
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    folder = tmp_path / "codeconnections" / model["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    session = botocore.session.Session()
    session.get_component("data_loader").search_paths.insert(0, str(tmp_path))
    paths = []
    with mock_codestar(account="123456789012") as m:
        client = boto3.Session(botocore_session=session).client("codeconnections", region_name="us-east-1", config=ONE_TRY)
        client.meta.events.register_first("before-send.codeconnections", lambda request, **_: paths.append(request.url))
        arn = client.create_connection(ConnectionName="cbor", ProviderType="GitHub")["ConnectionArn"]
        got = client.get_connection(ConnectionArn=arn)["Connection"]
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.delete_connection(ConnectionArn=arn.replace(arn[-4:], "0000"))
    assert arn.startswith("arn:aws:codeconnections:us-east-1:123456789012:")
    assert got["ConnectionName"] == "cbor"
    assert paths[0].endswith("/service/com.amazonaws.codeconnections.CodeConnections_20231201/operation/CreateConnection")
    assert [r[1:3] for r in m.app.recent] == [
        ("codeconnections", "CreateConnection"),
        ("codeconnections", "GetConnection"),
        ("codeconnections", "DeleteConnection"),
    ]
