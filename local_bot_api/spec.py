"""The official Bot API method list, and the generic checks every call gets against it."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ApiError, bad_request
from .limits import TYPE_CHECKS

SPEC_ENV = "BUURBOT_BOT_API_SPEC"
_INT_RE = re.compile(r"[+-]?\d+")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})
# Objects Telegram also accepts as a bare string (the older form of the field).
_STRING_SHORTHAND = {"InputPollOption": "text", "KeyboardButton": "text"}
_DISCRIMINATOR_RE = re.compile(r"(?:must be|always) [\"“]?([a-z0-9_]+)")


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a multipart/form-data request."""

    data: bytes
    filename: str | None
    content_type: str | None


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str = ""


@dataclass(slots=True)
class MethodSpec:
    name: str
    fields: dict[str, Field]
    returns: tuple[str, ...]


@dataclass(slots=True)
class TypeSpec:
    name: str
    fields: dict[str, Field]
    subtypes: tuple[str, ...] = ()
    # for abstract types: (discriminating field, {value: subtypes with that value})
    discriminator: tuple[str, dict[str, tuple[str, ...]]] | None = None
    required: frozenset[str] = field(default_factory=frozenset)


class _Invalid(Exception):
    """A value that does not fit; the message is the Telegram-like detail."""


def default_spec_path() -> Path:
    configured = os.environ.get(SPEC_ENV)
    if configured:
        return Path(configured)
    # Shipped with the server (its source and version: data/README.md).
    return Path(__file__).resolve().parent / "data" / "bot-api.min.json"


class BotApiSpec:
    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.version: str = raw.get("version", "")
        self.methods: dict[str, MethodSpec] = {}
        self._by_lower: dict[str, str] = {}
        for name, method in raw["methods"].items():
            fields = {f["name"]: _field(f) for f in method.get("fields") or ()}
            self.methods[name] = MethodSpec(name, fields, tuple(method.get("returns") or ()))
            self._by_lower[name.lower()] = name
        self.types: dict[str, TypeSpec] = {}
        for name, type_ in raw["types"].items():
            fields = {f["name"]: _field(f) for f in type_.get("fields") or ()}
            self.types[name] = TypeSpec(
                name,
                fields,
                tuple(type_.get("subtypes") or ()),
                required=frozenset(f.name for f in fields.values() if f.required),
            )
        for type_ in self.types.values():
            if type_.subtypes:
                type_.discriminator = self._discriminator(type_.subtypes)

    @classmethod
    def load(cls, path: str | Path | None = None) -> BotApiSpec:
        return _load(str(path or default_spec_path()))

    def canonical(self, method: str) -> str | None:
        return self._by_lower.get(method.lower())

    def _discriminator(
        self, subtypes: tuple[str, ...]
    ) -> tuple[str, dict[str, tuple[str, ...]]] | None:
        for key in ("type", "status", "source"):
            mapping: dict[str, tuple[str, ...]] = {}
            for sub in subtypes:
                spec = self.types.get(sub)
                fld = spec.fields.get(key) if spec else None
                if fld is None:
                    break
                m = _DISCRIMINATOR_RE.search(fld.description)
                if m is None:
                    break
                mapping[m.group(1)] = (*mapping.get(m.group(1), ()), sub)
            else:
                return key, mapping
        return None

    # --- validation -------------------------------------------------------------------------

    def validate_call(
        self, method: str, params: Mapping[str, Any], uploads: Mapping[str, Upload]
    ) -> dict[str, Any]:
        """Check names, required fields and types; return the decoded parameters.

        `params` values are strings when they came from a query string or form, and native
        JSON values when they came from a JSON body; uploads are the multipart file parts.
        """
        spec = self.methods[method]
        decoded: dict[str, Any] = {}
        for name, value in params.items():
            fld = spec.fields.get(name)
            if fld is None:
                if name in uploads or isinstance(value, Upload):
                    continue  # a file part referenced as attach://name
                raise bad_request(f'unknown parameter "{name}" for method {method}')
            try:
                decoded[name] = self._coerce(value, fld.types, name, uploads)
            except _Invalid as exc:
                raise bad_request(str(exc)) from None
        for fld in spec.fields.values():
            if fld.required and fld.name not in decoded:
                raise bad_request(_missing(method, fld.name))
        return decoded

    def validate_object(
        self, type_name: str, value: Any, *, ignore: frozenset[str] = frozenset()
    ) -> None:
        """Check an object the server produces (a Message, a Poll...) against the spec.

        `ignore`: field names newer than the spec that the libraries already require.
        """
        try:
            self._coerce_one(_without(value, ignore), type_name, type_name, {})
        except _Invalid as exc:
            raise AssertionError(str(exc)) from None

    def _coerce(
        self, value: Any, types: tuple[str, ...], path: str, uploads: Mapping[str, Upload]
    ) -> Any:
        if len(types) == 1:
            return self._coerce_one(value, types[0], path, uploads)
        value = self._maybe_json(value, types, path)
        candidates = list(types)
        if isinstance(value, dict):
            # try first the object types whose required fields are all present
            candidates.sort(key=lambda t: not self._fits_keys(t, value))
        first_error: _Invalid | None = None
        for type_name in candidates:
            try:
                return self._coerce_one(value, type_name, path, uploads)
            except ApiError:
                raise
            except _Invalid as exc:
                first_error = first_error or exc
        assert first_error is not None
        raise first_error

    def _is_structured(self, type_name: str) -> bool:
        return type_name.startswith("Array of ") or (
            type_name in self.types and type_name != "InputFile"
        )

    def _fits_keys(self, type_name: str, value: dict[str, Any]) -> bool:
        spec = self.types.get(type_name)
        return spec is not None and spec.required <= value.keys()

    def _maybe_json(self, value: Any, types: tuple[str, ...], path: str) -> Any:
        """Form and query encodings carry objects and arrays as JSON strings."""
        if not isinstance(value, str) or value.startswith("attach://"):
            return value
        structured = [self._is_structured(t) for t in types]
        if not any(structured):
            return value
        stripped = value.lstrip()
        if not stripped.startswith(("{", "[")):
            if all(structured):
                raise _Invalid(f"can't parse {path} JSON object")
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise _Invalid(f"can't parse {path} JSON object") from None

    def _coerce_one(
        self, value: Any, type_name: str, path: str, uploads: Mapping[str, Upload]
    ) -> Any:
        if type_name == "Integer":
            if isinstance(value, bool):
                raise _Invalid(f"{path} must be an Integer")
            if isinstance(value, int):
                return value
            if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
                return int(value)
            raise _Invalid(f"{path} must be an Integer")
        if type_name == "String":
            if isinstance(value, str):
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(value)
            raise _Invalid(f"{path} must be a String")
        if type_name == "Boolean" or type_name == "True":
            if isinstance(value, bool):
                return value
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered in _TRUE:
                    return True
                if lowered in _FALSE:
                    return False
            raise _Invalid(f"{path} must be a Boolean")
        if type_name == "Float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    pass
            raise _Invalid(f"{path} must be a Float")
        if type_name == "InputFile":
            if isinstance(value, Upload):
                return value
            if isinstance(value, str) and value.startswith("attach://"):
                upload = uploads.get(value[len("attach://") :])
                if upload is None:
                    raise _Invalid(f"{path}: the file part {value} is missing from the request")
                return upload
            raise _Invalid(f"{path} must be a file uploaded with multipart/form-data")
        if type_name.startswith("Array of "):
            value = self._maybe_json(value, (type_name,), path)
            if not isinstance(value, list):
                raise _Invalid(f"{path} must be an Array")
            item_type = (type_name[len("Array of ") :],)
            return [
                self._coerce(item, item_type, f"{path}[{index}]", uploads)
                for index, item in enumerate(value)
            ]
        spec = self.types.get(type_name)
        if spec is None:
            return value  # a type the spec does not describe: accept as is
        shorthand = _STRING_SHORTHAND.get(type_name)
        if shorthand is not None and isinstance(value, str) and not value.lstrip().startswith("{"):
            value = {shorthand: value}
        return self._coerce_object(self._maybe_json(value, (type_name,), path), spec, path, uploads)

    def _coerce_object(
        self, value: Any, spec: TypeSpec, path: str, uploads: Mapping[str, Upload]
    ) -> Any:
        if spec.subtypes:
            return self._coerce_abstract(value, spec, path, uploads)
        if not isinstance(value, dict):
            raise _Invalid(f"{path} must be a JSON object of type {spec.name}")
        if not spec.fields:
            return value
        result: dict[str, Any] = {}
        for key, item in value.items():
            fld = spec.fields.get(key)
            if fld is None:
                raise _Invalid(f'can\'t parse {path}: unknown field "{key}" in {spec.name}')
            if item is None:
                continue
            result[key] = self._coerce(item, fld.types, f"{path}.{key}", uploads)
        missing = spec.required - result.keys()
        if missing:
            raise _Invalid(
                f'can\'t parse {path}: field "{min(missing)}" of {spec.name} is required'
            )
        check = TYPE_CHECKS.get(spec.name)
        if check is not None:
            check(result)
        return result

    def _coerce_abstract(
        self, value: Any, spec: TypeSpec, path: str, uploads: Mapping[str, Upload]
    ) -> Any:
        if spec.discriminator is not None and isinstance(value, dict):
            key, mapping = spec.discriminator
            subs = mapping.get(str(value.get(key)))
            if subs is None:
                raise _Invalid(
                    f"can't parse {path}: {key} must be one of {', '.join(sorted(mapping))}"
                )
            return self._coerce(value, subs, path, uploads)
        return self._coerce(value, spec.subtypes, path, uploads)


def _without(value: Any, names: frozenset[str]) -> Any:
    if not names:
        return value
    if isinstance(value, dict):
        return {k: _without(v, names) for k, v in value.items() if k not in names}
    if isinstance(value, list):
        return [_without(v, names) for v in value]
    return value


def _missing(method: str, name: str) -> str:
    if name == "text":
        return "message text is empty"
    if name == "chat_id":
        return "chat_id is empty"
    return f'parameter "{name}" is required for method {method}'


def _field(raw: Mapping[str, Any]) -> Field:
    return Field(
        raw["name"], tuple(raw["types"]), bool(raw.get("required")), raw.get("description", "")
    )


@lru_cache(maxsize=4)
def _load(path: str) -> BotApiSpec:
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    return BotApiSpec(raw)
