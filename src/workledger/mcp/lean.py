"""Tool definitions and answers that spare a model's context, in a shape every client takes.

A model reads each tool's name, description and input schema on every turn, and each
answer in full. Pydantic's schemas spell every optional field as ``anyOf [X, null]`` with
a ``title`` and ``default: null``; Gemini and Vertex refuse those unions outright. Here:

- input schemas lose titles, ``$ref`` and null branches; a field that an explicit null
  clears (a change's optional field) says ``nullable: true``, the form those clients
  accept;
- a list's items leave out null and empty fields and fields at their default (the
  server's instructions say what an absent field means), and the output schema says
  they may; single records answer in full, so output schemas list no required fields.
"""

from __future__ import annotations

import inspect
from typing import Any

from pydantic import BaseModel, TypeAdapter

from workledger.schemas.common import CURSOR_PATTERN, MAX_PAGE, NOT_BLANK_PATTERN
from workledger.schemas.strict import ChangeModel, refused_nulls
from workledger.schemas.work_item import WORK_ITEM_REF_PATTERN

NULL = {"type": "null"}
# Noise for a model: what pydantic adds that no client needs to call the tool.
DROPPED = frozenset({"title", "examples"})
# Bounds a model seldom meets, which the server still checks (its error names the bound).
BOUNDS = frozenset(
    {"maxLength", "minLength", "maximum", "minimum", "maxItems", "minItems", "propertyNames"}
    | {"uniqueItems"}
)
# Field descriptions the server's instructions and the tools' own descriptions already say.
SAID_ELSEWHERE = frozenset({"the version you read"})


def input_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The arguments' schema, self-contained (no ``$ref``: several clients cannot follow
    one). Unknown arguments are refused by the server, naming the ones it takes."""
    full = model.model_json_schema(by_alias=True)
    schema = _object(_lean(_inlined(full, full.pop("$defs", {})), output=False))
    for name in _clearable(model):
        schema["properties"][name]["nullable"] = True
    return schema


def output_schema(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """Without titles; a list's items with every field optional and never null."""
    if schema is None:
        return None
    lean = _object(_lean(schema, output=True))
    item: dict[str, Any] = lean.get("properties", {}).get("items", {}).get("items", {})
    if "$ref" in item:
        name = item["$ref"].rsplit("/", 1)[-1]
        lean["$defs"][name] = _optional(lean["$defs"][name])
    return lean


def description(docstring: str | None) -> str:
    """A docstring as one paragraph per blank-line-separated part, without the source's
    indentation and line breaks."""
    parts = inspect.cleandoc(docstring or "").split("\n\n")
    return "\n".join(" ".join(part.split()) for part in parts)


def answer(value: object, shape: TypeAdapter[object] | None = None) -> object:
    """A list answer (``{items, …}``) with each item's null, empty and default fields
    left out, given the tool's output type; anything else as it is."""
    if shape is None or not isinstance(value, dict) or not isinstance(value.get("items"), list):
        return value
    lean = shape.dump_python(
        shape.validate_python(value), mode="json", exclude_defaults=True, exclude_none=True
    )
    return {**value, "items": [_without_empty(item) for item in lean.get("items", [])]}


def _without_empty(value: object) -> object:
    if isinstance(value, dict):
        kept = {key: _without_empty(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, [], {})}
    if isinstance(value, list):
        return [_without_empty(item) for item in value]
    return value


def _clearable(model: type[BaseModel]) -> set[str]:
    """The fields an explicit null clears: a change's, bar the ones that refuse null."""
    if not issubclass(model, ChangeModel):
        return set()
    return set(model.model_fields) - refused_nulls(model) - model.addressing - _keys(model)


def _keys(model: type[BaseModel]) -> set[str]:
    """Fields that name the record (``id``): never null."""
    return {name for name, field in model.model_fields.items() if field.is_required()}


def _inlined(node: object, definitions: dict[str, object]) -> object:
    """``node`` with each ``$ref`` replaced by the definition it names."""
    if isinstance(node, list):
        return [_inlined(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        named = _object(definitions[node["$ref"].rsplit("/", 1)[-1]])
        node = {**named, **{k: v for k, v in node.items() if k != "$ref"}}
    return {key: _inlined(value, definitions) for key, value in node.items()}


def _object(node: object) -> dict[str, Any]:
    """A schema node that is an object, as every schema and definition is."""
    if not isinstance(node, dict):
        raise TypeError(f"a JSON schema object was expected, not {node!r}")
    return node


def _is_page_limit(node: dict[str, Any]) -> bool:
    """A page's ``limit`` (1 to 100) keeps its maximum: a model does ask for more."""
    return node.get("maximum") == MAX_PAGE and node.get("type") == "integer"


def _optional(node: dict[str, Any]) -> dict[str, Any]:
    """An object schema whose fields may each be absent, and are never null."""
    properties = {name: _without_null(schema) for name, schema in node["properties"].items()}
    return {key: value for key, value in node.items() if key != "required"} | {
        "properties": properties
    }


def _without_null(node: dict[str, Any]) -> dict[str, Any]:
    branches = node.get("anyOf")
    if isinstance(node.get("type"), list):
        return {**node, "type": next(t for t in node["type"] if t != "null")}
    if not isinstance(branches, list) or NULL not in branches:
        return node
    rest = [branch for branch in branches if branch != NULL]
    lean = {key: value for key, value in node.items() if key != "anyOf"}
    return {**rest[0], **lean} if len(rest) == 1 else {**lean, "anyOf": rest}


def _lean(node: object, *, output: bool) -> object:
    """Without noise; for input also without bounds and null branches."""
    if isinstance(node, list):
        return [_lean(item, output=output) for item in node]
    if not isinstance(node, dict):
        return node
    lean: dict[str, Any] = {}
    for key, value in node.items():
        if key in DROPPED or (key == "default" and value is None):
            continue
        if _noise_for_input(node, key, value) if not output else _noise_for_output(key, value):
            continue
        if key in ("properties", "$defs"):
            lean[key] = {name: _lean(schema, output=output) for name, schema in value.items()}
        else:
            lean[key] = _lean(value, output=output)
    return _or_null(lean) if output else _without_null(lean)


def _or_null(node: dict[str, Any]) -> dict[str, Any]:
    """``anyOf [{type: T, …}, null]`` as ``{type: [T, null], …}``: the same, shorter."""
    branches = node.get("anyOf")
    if not isinstance(branches, list) or len(branches) != 2 or NULL not in branches:
        return node
    [other] = [branch for branch in branches if branch != NULL]
    if not isinstance(other.get("type"), str) or "enum" in other:
        return node
    lean = {key: value for key, value in node.items() if key != "anyOf"}
    return {**other, **lean, "type": [other["type"], "null"]}


def _noise_for_output(key: str, value: object) -> bool:
    """What a client validating an answer does not need: the input side describes the
    fields, formats are annotations that JSON Schema does not check, and which fields
    are always there the module's docstring says once (a single record answers with all
    of them) rather than every record type's schema in every tool."""
    return (
        (key in ("description", "format") and isinstance(value, str))
        or (key == "required" and isinstance(value, list))
        or key == "default"  # what an absent field means, the instructions say
        or _says_nothing(key, value)
    )


def _says_nothing(key: str, value: object) -> bool:
    """What JSON Schema assumes anyway: any further property, items of any kind."""
    return (key == "additionalProperties" and value is True) or (key == "items" and value == {})


def _noise_for_input(node: dict[str, Any], key: str, value: object) -> bool:
    if key in BOUNDS:
        return key != "maximum" or not _is_page_limit(node)
    if key == "additionalProperties" and value is False:
        return True  # the server refuses unknown fields, naming them
    if _says_nothing(key, value):
        return True
    if key == "description":
        return value in SAID_ELSEWHERE
    if key == "format":
        return bool(value == "uuid")  # a work item takes a short id too
    if key == "pattern":
        # A model passes next_cursor on unread; the instructions say what an id may be.
        return value in (CURSOR_PATTERN, WORK_ITEM_REF_PATTERN, NOT_BLANK_PATTERN)
    if key == "default":
        # false, zero, or an enum's usual value: what the name or the description implies
        return value is False or value == 0 or isinstance(value, str)
    return False
