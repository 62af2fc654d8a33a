"""cfn-lint gates the translated template, which is where ESM mistakes show.

scripts/validate-template.sh runs cfn-lint on the translation (and fails on
any match); these tests prove that gate catches what linting the SAM file
directly lets through.
"""

import copy
import json
from typing import Any

import translate
from cfnlint.api import lint

Template = dict[str, Any]


def rule_ids(template: Template) -> set[str]:
    return {match.rule.id for match in lint(json.dumps(template), regions=["us-east-1"])}


def misspell_response_type(sam_template: Template) -> Template:
    mutated = copy.deepcopy(sam_template)
    events = mutated["Resources"]["ProcessorFunction"]["Properties"]["Events"]
    events["Kinesis"]["Properties"]["FunctionResponseTypes"] = ["ReportBatchItemFailure"]
    return mutated


def test_lint_of_translation_catches_misspelled_response_type(sam_template: Template) -> None:
    """A misspelled ReportBatchItemFailures is a schema error once translated."""
    cfn = translate.translate(misspell_response_type(sam_template))
    assert "E3030" in rule_ids(cfn)


def test_lint_of_sam_file_alone_misses_misspelled_response_type(sam_template: Template) -> None:
    """Why the translation step exists: cfn-lint on the SAM source says nothing."""
    mutated = misspell_response_type(sam_template)
    # Only so cfn-lint does not read the crate or the nested template; their
    # locations are irrelevant here.
    mutated["Resources"]["ProcessorFunction"]["Properties"]["CodeUri"] = "s3://offline-artifacts/processor.zip"
    mutated["Resources"]["Hydrator"]["Properties"]["Location"] = "https://offline-artifacts.s3.amazonaws.com/hydrator.yaml"
    assert "E3030" not in rule_ids(mutated)
