"""CodeStar test helpers: boto3 with the model codestar-local ships (recent botocore has none), error checks, waits."""

from __future__ import annotations

import boto3
import botocore.config
import botocore.exceptions
import pytest

from codestar_local import spec

_SESSION: list = []


def codestar_session() -> boto3.session.Session:
    if not _SESSION:
        session = boto3.session.Session()
        # The loader's search path, not AWS_DATA_PATH: other test modules check that codestar is unknown without it.
        session._session.get_component("data_loader").search_paths.append(str(spec.models_path()))
        _SESSION.append(session)
    return _SESSION[0]


def codestar_client(endpoint_url, key, region="us-east-1", retries=1, validate=True):
    """A client whose access key id is `key` (a 12-digit key is also the account; any other key is account 000000000000)."""
    return codestar_session().client(
        "codestar",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key="secret",
        config=botocore.config.Config(retries={"max_attempts": retries, "mode": "standard"}, parameter_validation=validate),
    )


def user(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:user/{name}"


def raises(call, operation: str, code: str, **params):
    """Call and expect `code`, which must be in the operation's modelled error list."""
    assert code in spec.services()["codestar"].operations[operation].errors, f"{code} is not modelled for {operation}"
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**params)
    err = info.value.response
    assert err["Error"]["Code"] == code, err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    return err["Error"]["Message"]


def wait_state(client, project_id: str, wanted: str, timeout: float = 10.0) -> list:
    """Poll DescribeProject until status.state is `wanted`; the states seen on the way."""
    import time

    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.describe_project(id=project_id)["status"]["state"]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state == wanted:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"{project_id} never reached {wanted}: {seen}")


def wait_gone(client, project_id: str, timeout: float = 10.0) -> str:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.describe_project(id=project_id)
        except botocore.exceptions.ClientError as err:
            assert err.response["Error"]["Code"] == "ProjectNotFoundException"
            return err.response["Error"]["Message"]
        time.sleep(0.05)
    raise AssertionError(f"{project_id} was never gone")
