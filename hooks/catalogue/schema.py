"""The rules of a catalogue entry and JSON Schema validation with errors that name the failing path.

`jsonschema` (the reference implementation) compiles and runs the schemas: 2020-12 unless `$schema` names another
dialect it knows. References are local only (`#...`): a schema never makes the process fetch a URL. Formats are
checked where jsonschema can without optional packages (email, ipv4, ipv6, date, uuid, regex, idn-*); others pass.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from hooks.errors import ValidationError
from hooks.models.event import check_depth
from hooks.models.rules import check_event_type

MAX_DESCRIPTION = 2000
MAX_SCHEMA_AND_EXAMPLE_BYTES = 64 * 1024
MAX_MESSAGE = 200
_UNKNOWN = object()

if TYPE_CHECKING:  # jsonschema is imported when a schema is first compiled: `import hooks` stays as fast as it was
    import jsonschema
    from jsonschema.protocols import Validator
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def check_entry(name: Any, description: Any, schema: Any, example: Any, strict: Any) -> None:
    """Check one catalogue entry; raises ValidationError naming the field (`schema: ...`, `example: data.x: ...`)."""
    check_event_type(name, "name")
    if not isinstance(description, str):
        raise ValidationError(f"description: expected a string, got {type(description).__name__}.")
    if len(description) > MAX_DESCRIPTION or _CONTROL_RE.search(description):
        raise ValidationError(f"description: at most {MAX_DESCRIPTION} characters, no control characters but newlines.")
    if not isinstance(strict, bool):
        raise ValidationError(f"strict: expected true or false, got {type(strict).__name__}.")
    size = len(_dump(schema, "schema")) + len(_dump(example, "example"))
    if size > MAX_SCHEMA_AND_EXAMPLE_BYTES:
        raise ValidationError(f"schema: with the example it takes {size} bytes of JSON, over the limit of "
                              f"{MAX_SCHEMA_AND_EXAMPLE_BYTES} (64 KiB).")  # fmt: skip
    if schema is None:
        if strict:
            raise ValidationError("strict: a strict type needs a schema to check its events against.")
    else:
        compile_schema(schema)
    if example is not None:
        if not isinstance(example, Mapping):
            raise ValidationError(
                f"example: expected a JSON object (the data of an event), got {type(example).__name__}."
            )
        if schema is not None:
            validate(compile_schema(schema), example, "data", field="example: ")


def compile_schema(schema: Any) -> Validator:
    """A validator for `schema`, checked against its dialect's meta-schema; raises ValidationError (`schema: ...`)."""
    if not isinstance(schema, Mapping):
        raise ValidationError(f"schema: expected a JSON object (a JSON Schema), got {type(schema).__name__}.")
    check_depth(schema, "schema")
    return _compiled(canonical(schema))


def canonical(schema: Mapping[str, Any]) -> str:
    """The schema as canonical JSON (sorted keys): what its version digests, and the compile cache's key."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def version_of(schema: Mapping[str, Any]) -> str:
    """A short digest of the schema: what `{p}:evtype:strict` holds, so a process knows its compiled copy is current."""
    return hashlib.sha256(canonical(schema).encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=256)
def _compiled(text: str) -> Validator:
    import jsonschema
    import referencing

    schema = json.loads(text)
    dialect = schema.get("$schema")
    if dialect is not None and not isinstance(dialect, str):
        raise ValidationError(f"schema: $schema must be a string (a dialect's URI), got {type(dialect).__name__}.")
    cls: Any = jsonschema.validators.validator_for(schema, default=_UNKNOWN)  # type: ignore[arg-type]
    if cls is _UNKNOWN and dialect is not None:
        raise ValidationError(f"schema: $schema {dialect[:100]!r} is not a JSON Schema dialect known here (use "
                              "https://json-schema.org/draft/2020-12/schema, or leave it out for 2020-12).")  # fmt: skip
    if cls is _UNKNOWN:
        cls = jsonschema.Draft202012Validator
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = _path(exc.absolute_path, "")
        raise ValidationError(f"schema: {_short(exc.message)}{f' (at {where})' if where else ''}.") from None
    _check_refs(schema)
    # an explicit (empty) registry: jsonschema then retrieves nothing over the network
    validator: Validator = cls(schema, registry=referencing.Registry(), format_checker=cls.FORMAT_CHECKER)
    return validator


def _check_refs(schema: Any, at: str = "") -> None:
    """Only references inside the schema (`#...`): resolving another would fetch it, or fail at publish time."""
    if isinstance(schema, Mapping):
        for key, value in schema.items():
            where = f"{at}.{key}" if at else str(key)
            if key in ("$ref", "$dynamicRef") and isinstance(value, str) and not value.startswith("#"):
                raise ValidationError(f"schema: {where} {value[:100]!r} points outside the schema; only local "
                                      "references (#/$defs/...) are allowed.")  # fmt: skip
            _check_refs(value, where)
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            _check_refs(value, f"{at}[{i}]")


class SchemaRefusal(ValidationError):
    """Data a catalogue schema refused: the message starts with the failing path (`data.entry.title: ...`);
    `field` is the argument that holds it (`data`, `events[2].data`, `example`), which the API's problem names."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def validate(validator: Validator, data: Any, root: str, *, field: str = "") -> None:
    """Check `data` against a compiled schema; raises ValidationError naming the failing path from `root`
    (`data.entry.tags[2]: 'x' is not of type 'integer'.`), after `field` (`example: `) when given."""
    import referencing.exceptions
    from jsonschema.exceptions import best_match

    try:
        error = best_match(validator.iter_errors(data))
    except referencing.exceptions.Unresolvable as exc:
        raise ValidationError(
            f"{field or root + ': '}the schema's reference {str(exc)[:100]} cannot be resolved."
        ) from None
    if error is not None:
        raise SchemaRefusal(field + describe(error, root), field=field.rstrip(": ") or root)


def describe(error: jsonschema.ValidationError, root: str) -> str:
    """One sentence for a jsonschema error: the path of the failing value first, then what is wrong with it.

    `required` and `additionalProperties` name the property itself (`data.entry.title: missing ...`), not the
    object that holds it, so the path alone says where to look."""
    path = _path(error.absolute_path, root)
    instance, value = error.instance, error.validator_value
    if error.validator == "required" and isinstance(instance, Mapping) and isinstance(value, list):
        missing = [name for name in value if name not in instance]
        if missing:
            return f"{_path([missing[0]], path)}: missing (the schema requires it)."
    if error.validator == "additionalProperties" and isinstance(instance, Mapping) and value is False:
        extra = _extra_properties(instance, error.schema)
        if extra:
            return f"{_path([extra[0]], path)}: not allowed by the schema (additionalProperties is false)."
    return f"{path}: {_short(error.message)}."


def _extra_properties(instance: Mapping[str, Any], schema: Any) -> list[str]:
    if not isinstance(schema, Mapping):
        return []
    props = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [k for k in instance if k not in props and not any(re.search(p, k) for p in patterns)]


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _path(parts: Iterable[Any], root: str) -> str:
    """`data.entry.tags[2]`; a key that is not a plain name is quoted (`data["a b"]`)."""
    out = root
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(str(part)):
            out += f".{part}" if out else str(part)
        else:
            out += f"[{json.dumps(str(part)[:60])}]"
    return out


def _short(text: str) -> str:
    """jsonschema's message on one line, bounded (it quotes the failing value, which may be large)."""
    flat = " ".join(text.split()).rstrip(".")
    return flat if len(flat) <= MAX_MESSAGE else flat[: MAX_MESSAGE - 1] + "…"


def _dump(value: Any, field: str) -> str:
    if value is None:
        return ""
    check_depth(value, field)
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{field}: not JSON ({str(exc)[:100]}).") from None
