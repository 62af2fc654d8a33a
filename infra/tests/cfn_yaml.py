"""Load CloudFormation YAML, short-form intrinsics (`!Ref`, `!GetAtt`, ...) included.

The tags become their long JSON form (`{"Ref": ...}`, `{"Fn::GetAtt": [...]}`),
which is what aws-sam-translator, cfn-lint and the template tests expect.
"""

from pathlib import Path
from typing import Any

import yaml


class CfnLoader(yaml.SafeLoader):
    """A safe loader that knows CloudFormation's short-form tags.

    A subclass, so the global `yaml.SafeLoader` is left as it is.
    """


def _intrinsic(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = tag_suffix
    key = name if name in ("Ref", "Condition") else f"Fn::{name}"
    if name == "GetAtt" and isinstance(node, yaml.ScalarNode):
        # `!GetAtt Resource.Attribute` is the list form split at the first dot.
        value: Any = loader.construct_scalar(node).split(".", 1)
    elif isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {key: value}


CfnLoader.add_multi_constructor("!", _intrinsic)


def load(path: Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML file into plain dicts and lists."""
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError(f"{path}: not a template (top level is {type(document).__name__})")
    return document
