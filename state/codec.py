"""One JSON codec for every stored value, shared by both backends so they cannot disagree on
what a record looks like on disk."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Hashable
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar, cast

from state.models import GroupKey, PersonRef

T = TypeVar("T")
_REFS: tuple[type, ...] = (GroupKey, PersonRef)


def to_plain(value: Any) -> Any:
    """A dataclass (or anything inside one) as JSON-ready data."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, _REFS):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: every stored time is time-zone aware")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_plain(item) for key, item in value.items()}
    return value


def dumps(value: Any) -> str:
    """The same text as `json.dumps(to_plain(value))`, but JSON-native parts (a stored
    activity's payload) are written by the C encoder without a walk in Python."""
    return json.dumps(value, default=_plain_one, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _plain_one(value: Any) -> Any:
    """`to_plain` one level deep: the encoder calls this again for what it returns. Called for
    every non-JSON part of every stored value (the webhook's inbox write included): a time and a
    dataclass are handled first, with their field names looked up once per class."""
    if type(value) is datetime:
        return to_plain(value)
    names = _field_names(cast(Hashable, type(value)))
    if names:
        return {name: getattr(value, name) for name in names}
    if isinstance(value, (*_REFS, datetime, date, Enum)):
        return to_plain(value)
    raise TypeError(f"{type(value).__name__} cannot be stored")


@cache
def _field_names(cls: Any) -> tuple[str, ...]:
    """A dataclass's field names, in order; () for anything else, and for the references stored
    as text (`teams:…`)."""
    return tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) and cls not in _REFS else ()


def loads(cls: type[T], text: str | bytes) -> T:
    return from_plain(cls, json.loads(text))


def from_plain(cls: type[T], data: Any) -> T:
    """Rebuild a dataclass from `to_plain` output, guided by its type hints."""
    hints = _hints(cast(Hashable, cls))
    kwargs = {name: _convert(hints[name], data[name]) for name in hints if name in data}
    return cls(**kwargs)


@cache
def _hints(cls: Any) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {name: hint for name, hint in typing.get_type_hints(cls).items() if name in names}


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _convert(inner[0], value)
    if origin is tuple:
        return tuple(_convert(typing.get_args(hint)[0], item) for item in value)
    if origin is dict or hint is Any:
        return value
    if hint in _REFS:
        return hint.parse(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return from_plain(hint, value)
    return value
