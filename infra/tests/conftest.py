"""Shared fixtures: both SAM templates and their offline CloudFormation translations."""

import socket
import sys
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

import cfn_yaml  # noqa: E402
import invariants  # noqa: E402
import translate  # noqa: E402

INFRA = TESTS.parent
TEMPLATE = INFRA / "template.yaml"
HYDRATOR = INFRA / "hydrator.yaml"


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


@pytest.fixture(scope="session")
def hydrator_sam() -> dict[str, Any]:
    return cfn_yaml.load(HYDRATOR)


@pytest.fixture(scope="session")
def hydrator_cfn(hydrator_sam: dict[str, Any]) -> dict[str, Any]:
    return translate.translate(hydrator_sam)


@pytest.fixture(scope="session")
def stack(
    sam_template: dict[str, Any],
    cfn_template: dict[str, Any],
    hydrator_sam: dict[str, Any],
    hydrator_cfn: dict[str, Any],
) -> invariants.Stack:
    return invariants.Stack(sam_template, cfn_template, hydrator_sam, hydrator_cfn)
