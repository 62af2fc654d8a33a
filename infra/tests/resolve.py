"""A template as CloudFormation would create it for given parameter values.

hydrator.yaml decides most of what it creates with conditions on its
parameters (which failure source, which key). To check what one deployment
grants, the translated template is resolved for that deployment: `Ref` to a
parameter becomes its value, `${Param}` in `Fn::Sub` too, conditions are
evaluated, `Fn::If` takes its branch, `AWS::NoValue` disappears, and resources
and outputs whose condition is false are dropped. References to resources and
pseudo parameters stay as they are, so the invariants read them by name.

A value given for a parameter may be any string, such as the name of what the
parent stack passes (`Stream.Arn` for `!GetAtt Stream.Arn`): it stands for a
non-empty value that conditions compare as text.
"""

import copy
import re
from typing import Any

Template = dict[str, Any]
Value = str | list[str]

NO_VALUE = object()


class UnresolvedCondition(Exception):
    """A condition uses something other than parameters and literals."""


def parameter_values(template: Template, given: dict[str, Value]) -> dict[str, Value]:
    """Each parameter's value: the given one, else its default (lists split)."""
    values: dict[str, Value] = {}
    for name, parameter in template.get("Parameters", {}).items():
        value: Any = given.get(name, parameter.get("Default"))
        if value is None:
            raise ValueError(f"parameter {name} has no default and no value was given")
        if parameter.get("Type") == "CommaDelimitedList" and isinstance(value, str):
            value = value.split(",")
        values[name] = value if isinstance(value, list) else str(value)
    unknown = set(given) - set(values)
    if unknown:
        raise ValueError(f"no such parameters: {sorted(unknown)}")
    return values


def resolve(template: Template, given: dict[str, Value]) -> Template:
    """The template with parameters, conditions and `Fn::If` resolved."""
    values = parameter_values(template, given)
    conditions: dict[str, bool] = {}

    def condition(name: str) -> bool:
        if name not in conditions:
            conditions[name] = truth(template["Conditions"][name])
        return conditions[name]

    def truth(node: Any) -> bool:
        if isinstance(node, dict) and len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Condition":
                return condition(argument)
            if key == "Fn::Not":
                return not truth(argument[0])
            if key == "Fn::And":
                return all(truth(item) for item in argument)
            if key == "Fn::Or":
                return any(truth(item) for item in argument)
            if key == "Fn::Equals":
                left, right = (text(substitute(item)) for item in argument)
                return left == right
        raise UnresolvedCondition(f"cannot evaluate {node!r}")

    def text(node: Any) -> str:
        if isinstance(node, str):
            return node
        if isinstance(node, dict) and set(node) == {"Fn::Join"}:
            separator, items = node["Fn::Join"]
            if isinstance(items, list) and all(isinstance(item, str) for item in items):
                return separator.join(items)
        raise UnresolvedCondition(f"cannot compare {node!r}")

    def substitute(node: Any) -> Any:
        if isinstance(node, list):
            items = [substitute(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Ref" and argument == "AWS::NoValue":
                return NO_VALUE
            if key == "Ref" and argument in values:
                return copy.deepcopy(values[argument])
            if key == "Fn::If":
                name, when_true, when_false = argument
                return substitute(when_true if condition(name) else when_false)
            if key == "Fn::Sub" and isinstance(argument, str):
                return {"Fn::Sub": substitute_text(argument)}
        resolved = {key: substitute(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not NO_VALUE}

    def substitute_text(text_template: str) -> str:
        def replace(match: re.Match[str]) -> str:
            value = values.get(match.group(1))
            return value if isinstance(value, str) else match.group(0)

        return re.sub(r"\$\{([A-Za-z0-9]+)\}", replace, text_template)

    resolved = copy.deepcopy(template)
    for section in ("Resources", "Outputs"):
        kept = {}
        for logical_id, entry in resolved.get(section, {}).items():
            if "Condition" in entry and not condition(entry["Condition"]):
                continue
            entry = {key: value for key, value in entry.items() if key != "Condition"}
            kept[logical_id] = substitute(entry)
        resolved[section] = kept
    return resolved
