"""Shared fixtures: the SAM template and its offline CloudFormation translation."""

import socket
import sys
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

import cfn_yaml  # noqa: E402
import translate  # noqa: E402

TEMPLATE = TESTS.parent / "template.yaml"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every template test runs offline: any connection attempt fails the test."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("template tests must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="session")
def sam_template() -> dict[str, Any]:
    return cfn_yaml.load(TEMPLATE)


@pytest.fixture(scope="session")
def cfn_template(sam_template: dict[str, Any]) -> dict[str, Any]:
    return translate.translate(sam_template)
