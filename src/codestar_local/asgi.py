"""ASGI entry point for servers started by import string (uvicorn --factory, several workers).

Configuration comes from the environment, as `codestar-local serve` sets it:
CODESTAR_LOCAL_STATE (a path, 'memory' or a postgresql:// URL),
CODESTAR_LOCAL_AUTO_HANDSHAKE (seconds), CODESTAR_LOCAL_VPC_INIT_SECONDS,
CODESTAR_LOCAL_PROJECT_SECONDS.
"""

from __future__ import annotations

import os

from .app import App, Config


def config_from_env() -> Config:
    config = Config()
    auto = os.environ.get("CODESTAR_LOCAL_AUTO_HANDSHAKE")
    if auto not in (None, ""):
        config.auto_handshake = float(auto)
    vpc = os.environ.get("CODESTAR_LOCAL_VPC_INIT_SECONDS")
    if vpc not in (None, ""):
        config.vpc_init_seconds = float(vpc)
    project = os.environ.get("CODESTAR_LOCAL_PROJECT_SECONDS")
    if project not in (None, ""):
        config.project_create_seconds = config.project_delete_seconds = float(project)
    return config


def create_app() -> App:
    return App(os.environ.get("CODESTAR_LOCAL_STATE", "memory"), config_from_env())
