"""Tool definitions and answers that spare a model's context, in a shape every client takes.

A model reads each tool's name, description and input schema on every turn, and each
answer in full. Pydantic's schemas spell every optional field as ``anyOf [X, null]`` with
a ``title`` and ``default: null``; Gemini and Vertex refuse those unions outright. Here:

- input schemas lose titles, ``$ref``, null branches and the string formats Gemini
  refuses; a field that an explicit null clears (a change's optional field) says
  ``nullable: true``, the form those clients accept; an argument whose meaning the tool's
  description or the server's instructions give has no description of its own, and
  metadata's shapes are one object;
- a list's items leave out null and empty fields and fields at their default (the
  server's instructions say what an absent field means), and the output schema says
  they may; single records answer in full, so output schemas list no required fields;
  a definition they use once is written in place.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, TypeAdapter

from workledger.schemas.common import (
    CURSOR_PATTERN,
    MAX_PAGE,
    NOT_BLANK_PATTERN,
    CommitHash,
    Quarter,
)
from workledger.schemas.strict import ChangeModel, refused_nulls
from workledger.schemas.work_item import WORK_ITEM_REF_PATTERN

NULL = {"type": "null"}
# Noise for a model: what pydantic adds that no client needs to call the tool.
DROPPED = frozenset({"title", "examples"})
# Bounds a model seldom meets, which the server still checks (its error names the bound).
BOUNDS = frozenset(
    {"maxLength", "minLength", "maximum", "minimum", "maxItems", "minItems", "propertyNames"}
    | {"maxProperties", "minProperties", "uniqueItems"}
)
# Patterns a model does without: it passes next_cursor on unread, the instructions say
# what an id may be and how a quarter is written, and a commit is named as git names it.
UNREAD_PATTERNS = frozenset(
    {CURSOR_PATTERN, WORK_ITEM_REF_PATTERN, NOT_BLANK_PATTERN}
    | {TypeAdapter(shape).json_schema()["pattern"] for shape in (CommitHash, Quarter)}
)
# Arguments the server's instructions explain once, for every tool that takes them.
EXPLAINED_ONCE = frozenset({"version", "assignee", "metadata", "cursor"})


def input_schema(model: type[BaseModel], *, explained: Iterable[str] = ()) -> dict[str, Any]:
    """The arguments' schema, self-contained (no ``$ref``: several clients cannot follow
    one), without descriptions of the arguments that the tool's own description (those
    ``explained``) or the server's instructions explain. Unknown arguments are refused by
    the server, naming the ones it takes."""
    full = model.model_json_schema(by_alias=True)
    schema = _object(_lean(_inlined(full, full.pop("$defs", {})), output=False))
    for name in _clearable(model):
        schema["properties"][name]["nullable"] = True
    for name in explained:
        if name not in schema["properties"]:
            raise TypeError(f"{model.__name__} has no argument {name} to explain")
    for name in {*explained, *EXPLAINED_ONCE} & set(schema["properties"]):
        schema["properties"][name].pop("description", None)
    return schema


def output_schema(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """Without titles; a list's items with every field optional and never null; folded
    (``_folded``)."""
    if schema is None:
        return None
    lean = _object(_lean(schema, output=True))
    item: dict[str, Any] = lean.get("properties", {}).get("items", {}).get("items", {})
    if "$ref" in item:
        name = item["$ref"].rsplit("/", 1)[-1]
        lean["$defs"][name] = _optional(lean["$defs"][name])
    return _folded(lean)


def _folded(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with a definition whose fields another has too replaced by that one (an
    answer validates the same: no field is required and more are allowed), and each
    definition used once written in place of its ``$ref``."""
    definitions: dict[str, Any] = schema.pop("$defs", {})
    wider = {name: _widest(name, definitions) for name in definitions}
    schema = _object(_renamed(schema, wider))
    definitions = {name: _renamed(node, wider) for name, node in definitions.items()}
    used = Counter(_refs(schema) + [ref for node in definitions.values() for ref in _refs(node)])
    once = {name: node for name, node in definitions.items() if used[name] == 1}
    kept = {name: _inlined(node, once) for name, node in definitions.items() if used[name] > 1}
    schema = _object(_inlined(schema, once))
    return {"$defs": kept, **schema} if kept else schema


def _widest(name: str, definitions: dict[str, Any]) -> str:
    """The definition with every field of ``name``'s, the same, and the most fields."""
    fields = definitions[name].get("properties")
    if not isinstance(fields, dict):
        return name
    covering = [
        other
        for other, node in definitions.items()
        if isinstance(node.get("properties"), dict)
        and fields.items() <= node["properties"].items()
        and {k: v for k, v in node.items() if k != "properties"}
        == {k: v for k, v in definitions[name].items() if k != "properties"}
    ]
    return max(covering, key=lambda other: (len(definitions[other]["properties"]), other))


def _refs(node: object) -> list[str]:
    """The definitions ``node`` refers to, once per ``$ref``."""
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    if not isinstance(node, dict):
        return []
    own = [node["$ref"].rsplit("/", 1)[-1]] if isinstance(node.get("$ref"), str) else []
    return own + [ref for value in node.values() for ref in _refs(value)]


def _renamed(node: object, names: dict[str, str]) -> object:
    """``node`` with each ``$ref`` to a definition pointing at ``names[definition]``."""
    if isinstance(node, list):
        return [_renamed(item, names) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str):
        target = names[node["$ref"].rsplit("/", 1)[-1]]
        return {**node, "$ref": f"#/$defs/{target}"}
    return {key: _renamed(value, names) for key, value in node.items()}


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
    """``node`` with each ``$ref`` to one of ``definitions`` replaced by the definition."""
    if isinstance(node, list):
        return [_inlined(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    name = node["$ref"].rsplit("/", 1)[-1] if isinstance(node.get("$ref"), str) else None
    if name in definitions:
        named = _object(definitions[name])
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
        if (
            _noise_for_input(node, key, value)
            if not output
            else _noise_for_output(node, key, value)
        ):
            continue
        if key in ("properties", "$defs"):
            lean[key] = {name: _lean(schema, output=output) for name, schema in value.items()}
        else:
            lean[key] = _lean(value, output=output)
    return _or_null(lean) if output else _merged_shapes(_without_null(lean))


def _merged_shapes(node: dict[str, Any]) -> dict[str, Any]:
    """``anyOf`` of object shapes (metadata: one per item_type) as one object with each
    shape's fields in turn: every key once, without a wrapper per shape. The server still
    checks the shape that applies, naming a key that belongs to another."""
    shapes = node.get("anyOf")
    if not isinstance(shapes, list) or not all(
        isinstance(shape, dict)
        and set(shape) == {"type", "properties"}
        and shape["type"] == "object"
        for shape in shapes
    ):
        return node
    fields: dict[str, Any] = {}
    for shape in shapes:
        if any(fields.get(name, schema) != schema for name, schema in shape["properties"].items()):
            return node  # one name, two meanings: the shapes stay apart
        fields |= shape["properties"]
    rest = {key: value for key, value in node.items() if key != "anyOf"}
    return {"type": "object", "properties": fields, **rest}


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


def _noise_for_output(node: dict[str, Any], key: str, value: object) -> bool:
    """What a client validating an answer does not need: the input side describes the
    fields and their bounds, formats are annotations that JSON Schema does not check, an
    enum's values say their type, and which fields are always there the module's
    docstring says once (a single record answers with all of them) rather than every
    record type's schema in every tool. The server sends no field it does not declare."""
    return (
        (key in ("description", "format") and isinstance(value, str))
        or (key == "required" and isinstance(value, list))
        or key == "default"  # what an absent field means, the instructions say
        or key in BOUNDS
        or (key == "additionalProperties" and value is False)
        or (key == "type" and "enum" in node)
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
    if key == "format":
        # Of a string's formats Gemini takes date-time alone (a uuid may be a short id
        # anyway); the instructions say how a date is written.
        return value != "date-time"
    if key == "pattern":
        return value in UNREAD_PATTERNS
    if key == "default":
        # false, zero, or an enum's usual value: what the name or the description implies;
        # a page's size: has_more says whether there is more
        return value is False or value == 0 or isinstance(value, str) or _is_page_limit(node)
    return False
