"""Translate the SAM template to plain CloudFormation, offline.

`sam validate --lint` and CloudFormation run aws-sam-translator with an AWS
session; here the translator gets a fixed region and partition instead, and no
managed-policy lookup (the template uses none: its roles are written out), so
no AWS call is made and no credentials are needed. cfn-lint then checks the
*generated* resources — the event source mapping, the SNS subscription, the
async invoke config — where a mistake such as a misspelled
`ReportBatchItemFailures` becomes a schema error.

Usage: translate.py TEMPLATE OUTPUT_JSON
"""

import copy
import json
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cfn_yaml  # noqa: E402

# Any commercial region gives the same resources; ARNs stay `${AWS::Region}`.
REGION = "us-east-1"


@dataclass(frozen=True)
class OfflineSession:
    """All the translator reads from a boto3 session: its region."""

    region_name: str = REGION


class TranslationError(Exception):
    """The SAM template is invalid; the message lists every cause."""


def translate(sam_template: dict[str, Any], base_dir: Path | None = None) -> dict[str, Any]:
    """Return the CloudFormation template that the SAM transform produces.

    The input is not modified. Resource `Metadata` (checkov waivers, build
    properties) is carried over, as `sam build`/`sam deploy` do. A nested
    application's local `Location` is made absolute against `base_dir` (the
    template's directory), so that cfn-lint finds the nested template wherever
    the translation is written and checks the parameters passed to it.
    """
    template = copy.deepcopy(sam_template)
    stand_in_packaged_code(template)
    if base_dir is not None:
        locate_nested_applications(template, base_dir)
    # The transform's metrics go nowhere (offline), but must be "published"
    # or the translator warns about them when it is garbage-collected.
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    translator = Translator(
        managed_policy_map={},
        sam_parser=Parser(),
        boto_session=OfflineSession(),  # type: ignore[arg-type]
        metrics=metrics,
    )
    try:
        return translator.translate(
            sam_template=template,
            parameter_values={},
            passthrough_metadata=True,
        )
    except InvalidDocumentException as error:
        causes = "; ".join(cause.message for cause in error.causes)
        raise TranslationError(causes) from error
    finally:
        metrics.publish()


def stand_in_packaged_code(template: dict[str, Any]) -> None:
    """Replace local `CodeUri` paths with S3 URIs, as `sam package` would.

    The transform only accepts packaged code; which bucket is irrelevant here.
    """
    for logical_id, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties") or {}
        code_uri = properties.get("CodeUri")
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(code_uri, str):
            if not code_uri.startswith("s3://"):
                properties["CodeUri"] = f"s3://offline-artifacts/{logical_id}.zip"


def locate_nested_applications(template: dict[str, Any], base_dir: Path) -> None:
    """Make each nested application's local `Location` an absolute path."""
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        location = properties.get("Location")
        if resource.get("Type") == "AWS::Serverless::Application" and isinstance(location, str):
            if "://" not in location:
                properties["Location"] = str((base_dir / location).resolve())


def forbid_network() -> None:
    """Make any network connection fail loudly: translation must be offline."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("network access during offline translation")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    source, target = Path(argv[1]), Path(argv[2])
    forbid_network()
    try:
        translated = translate(cfn_yaml.load(source), source.parent)
    except TranslationError as error:
        print(f"{source}: SAM translation failed: {error}", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(translated, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{source} -> {target} ({len(translated['Resources'])} resources)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
