"""Fixtures for the AWS tests: the parsed template and a moto server on loopback."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from cinelake.aws.cfn import TEMPLATE_PATH, load_template


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE_PATH)


@pytest.fixture(scope="session")
def package_script() -> ModuleType:
    """scripts/package_lambda.py as a module (what `make package` runs)."""
    path = TEMPLATE_PATH.parent / "scripts" / "package_lambda.py"
    spec = importlib.util.spec_from_file_location("package_lambda", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    """A fresh moto server (server mode, own thread) bound to 127.0.0.1 on a free port."""
    pytest.importorskip("moto.server", reason="moto[server] is not installed")
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        yield endpoint
    finally:
        import requests

        requests.post(f"{endpoint}/moto-api/reset-auth", data=b"inf", timeout=10)
        requests.post(f"{endpoint}/moto-api/reset", timeout=10)
        server.stop()
