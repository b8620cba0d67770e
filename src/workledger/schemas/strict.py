"""Strict input: what every request model is made of, and how its refusals are said.

Input is taken as JSON means it (docs/reference/errors.md): a number is not a string, a
date or a boolean, a string is not a number. ``StrictModel`` validates strictly and names
each refused field (``field_errors``), an unknown one with the field it most likely
meant. Query strings, where every value is text, are read by ``QueryModel``; the MCP door
also takes integers written as digits (``DIGITS_AS_INTEGERS``)."""

from __future__ import annotations

import difflib
import functools
import json
import re
import types
import typing
from collections.abc import Collection, Mapping
from typing import Annotated, Any, ClassVar, Self

import pydantic
from pydantic import (
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
    ValidationInfo,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from workledger.errors import FieldError, ValidationError


def _has_nul(value: Any) -> bool:
    """Whether any string in ``value`` may hold NUL: the fast question asked of every
    input, by one pass of the JSON encoder (written in C), which escapes NUL as
    ``\\u0000``. A string holding that escape as text is a false alarm, which
    ``_paths_with_nul`` then clears."""
    try:
        return "\\u0000" in json.dumps(value, default=str)
    except (TypeError, ValueError):  # keys JSON cannot hold, a cycle: ask each string
        return _holds_nul(value)


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


def _paths_with_nul(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, Mapping):
        found = []
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            found += [child] if isinstance(key, str) and "\x00" in key else []
            found += _paths_with_nul(item, child)
        return found
    if isinstance(value, list | tuple):
        return [p for i, item in enumerate(value) for p in _paths_with_nul(item, f"{path}.{i}")]
    return []


def field_errors(exc: pydantic.ValidationError, *, known: Collection[str] = ()) -> list[FieldError]:
    """Pydantic's errors as contract ``{field, message}`` pairs with dotted field paths;
    an unknown top-level field suggests the ``known`` one it most likely meant."""
    errors = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"] if not _is_wrapper(part)]
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = unknown_field(loc[-1], known if len(loc) == 1 else ())
        elif error["type"] in _TYPE_ERRORS:
            expected = "Input should be an object" if "model" in error["type"] else message
            message = f"{expected}, not {_json_kind(error['input'])}"
        errors.append(FieldError(".".join(loc) or "body", message))
    return errors


# Errors of a value of the wrong JSON type: the message also says what was sent.
_TYPE_ERRORS = frozenset(
    {"int_type", "float_type", "bool_type", "string_type", "list_type"}
    | {"dict_type", "model_type", "model_attributes_type"}
)


def _json_kind(value: Any) -> str:
    kinds = ((bool, "a boolean"), (str, "a string"), (int, "a number"), (float, "a decimal number"))
    for kind, name in kinds:
        if isinstance(value, kind):
            return name
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return "null" if value is None else type(value).__name__


def unknown_field(name: str, known: Collection[str]) -> str:
    """What to say of an unknown field: with the ``known`` one it most likely meant."""
    meant = _nearest(name, known)
    return "unknown field" + (f"; did you mean {meant}?" if meant else "")


def _nearest(name: str, known: Collection[str]) -> str | None:
    """``id`` for ``item_id``, else a close spelling."""
    if name.endswith("_id") and "id" in known:
        return "id"
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return close[0] if close else None


def _is_wrapper(part: Any) -> bool:
    # Pydantic puts validator and union-member names in locations; users don't name those.
    return isinstance(part, str) and (
        part.startswith("function-") or re.fullmatch(r"[a-z]+\[.*\]", part) is not None
    )


# Validation context key: integers may come as strings of digits (the MCP door).
DIGITS_AS_INTEGERS = "digits_as_integers"
_DIGITS = re.compile(r"-?[0-9]{1,18}")


class StrictModel(BaseModel):
    """Input: unknown fields are refused, never ignored; JSON types are taken as they are.
    A field in ``not_nullable`` (here or in any base class) may be left out but not sent
    as null, and the JSON schema does not offer null for it: null is offered only where it
    means something (clearing a field)."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=False)
    not_nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _refuse_nulls(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            nulls = sorted(n for n in refused_nulls(cls) if n in data and data[n] is None)
            if nulls:
                raise ValidationError([FieldError(name, "cannot be null") for name in nulls])
        return data

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        properties = handler.resolve_ref_schema(json_schema).get("properties", {})
        for name in refused_nulls(cls) & properties.keys():
            properties[name] = _without_null(properties[name])
        return json_schema

    @model_validator(mode="before")
    @classmethod
    def _integers(cls, data: Any, info: ValidationInfo) -> Any:
        """2.0 is an integer to JSON Schema, so it is one here; "12" only where the door
        takes digits (the context says so)."""
        integers = _integer_fields(cls)
        if not isinstance(data, Mapping) or not any(
            isinstance(data.get(name), float | str) for name in integers
        ):
            return data  # the common case: nothing to read, nothing copied
        digits = bool(info.context and info.context.get(DIGITS_AS_INTEGERS))
        return {
            name: as_integer(value, digits=digits) if name in integers else value
            for name, value in data.items()
        }

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul_characters(cls, data: Any) -> Any:
        # PostgreSQL cannot store U+0000 and SQLite cuts strings at it: refuse it anywhere.
        bad = sorted(_paths_with_nul(data, "")) if _has_nul(data) else []
        if bad:
            raise ValidationError(
                [FieldError(path or "body", "must not contain NUL (\\u0000)") for path in bad]
            )
        return data

    @classmethod
    def load(cls, data: Mapping[str, Any], *, text: bool = False) -> Self:
        """Validate raw input; failures become the domain's ``ValidationError``.
        ``text``: the values were typed as text (a form, a command line), so numbers and
        booleans are read from it."""
        try:
            return cls.model_validate(data, strict=False if text else None)
        except pydantic.ValidationError as exc:
            raise ValidationError(field_errors(exc, known=cls.model_fields)) from None


@functools.cache
def refused_nulls(model: type[BaseModel]) -> frozenset[str]:
    """The ``not_nullable`` fields of ``model`` and of every class it is made of."""
    declared = (vars(base).get("not_nullable", frozenset()) for base in model.__mro__)
    return frozenset().union(*declared) & model.model_fields.keys()


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A property's schema without its null branch, nor the default null that came with it."""
    branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
    lean = {k: v for k, v in schema.items() if k != "anyOf" and (k, v) != ("default", None)}
    if not branches:
        return lean
    return {**branches[0], **lean} if len(branches) == 1 else {**lean, "anyOf": branches}


def as_integer(value: Any, *, digits: bool) -> Any:
    """``value`` as the integer it means, when it means one: a float without a fraction,
    or with ``digits`` a string of digits; anything else as it is, for validation to
    refuse naming its field."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if digits and isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    return value


@functools.cache
def _integer_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        name for name, field in model.model_fields.items() if _is_integer(field.annotation)
    )


def _is_integer(annotation: Any) -> bool:
    """``int``, optional or annotated (never ``bool``)."""
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return len(members) == 1 and _is_integer(members[0])
    return annotation is int


class QueryModel(StrictModel):
    """Query-string input: every value arrives as text, so numbers and booleans are read
    from it (``limit=50``, ``ready=true``); ids, dates and times still only in their own
    form."""

    model_config = ConfigDict(strict=False)


class ChangeModel(StrictModel):
    """A partial change: only the fields sent are applied."""

    # Fields that say which record and which version the change is for, not what changes.
    addressing: ClassVar[frozenset[str]] = frozenset({"version"})

    def changes(self) -> dict[str, Any]:
        """The fields the caller sent (the addressing aside), with their validated values."""
        return {name: getattr(self, name) for name in self.model_fields_set - self.addressing}
