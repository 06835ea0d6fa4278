"""What the mock and the test server share: the fake credentials, and botocore clients on the shipped models."""

from __future__ import annotations

from .. import spec

DEFAULT_REGION = "us-east-1"
FAKE_KEY_ID = "codestar-local-mock"
FAKE_SECRET = "codestar-local-mock-secret"


def use_models(loader) -> bool:
    """Put the shipped models first on a botocore loader's search path; False if they were there already.

    First, so a client uses the models the emulator serves even where the user's botocore has
    older (or no) models of these services.
    """
    models = str(spec.models_path())
    paths = loader.search_paths
    if models in paths:
        return False
    paths.insert(0, models)
    # The loader caches its list of known services; without this, a service new to it stays unknown.
    cache = getattr(loader, "_cache", None)
    if isinstance(cache, dict):
        for key in [k for k in cache if k and k[0] == "list_available_services"]:
            del cache[key]
    return True


def make_client(service: str, endpoint_url: str | None, account: str | None, region: str, **kw):
    import boto3
    import botocore.config
    import botocore.session

    session = botocore.session.get_session()
    use_models(session.get_component("data_loader"))
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
