"""What the mock and the test server share: the fake credentials and a boto3 client that knows the codestar model."""

from __future__ import annotations

from .. import spec

DEFAULT_REGION = "us-east-1"
FAKE_KEY_ID = "codestar-local-mock"
FAKE_SECRET = "codestar-local-mock-secret"


def make_client(service: str, endpoint_url: str | None, account: str | None, region: str, **kw):
    import boto3
    import botocore.config
    import botocore.session

    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.append(str(spec.models_path()))
    kw.setdefault("config", botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}))
    if endpoint_url is not None:
        kw.setdefault("endpoint_url", endpoint_url)
    return boto3.session.Session(botocore_session=session).client(
        service,
        region_name=region,
        aws_access_key_id=account or FAKE_KEY_ID,
        aws_secret_access_key=FAKE_SECRET,
        **kw,
    )
