"""The event catalogue: the event types a product sends, each with a description, a JSON Schema and an example.

The portal lists them for customers to subscribe to; `publish_event` checks `data` against the schema of a type
registered with `strict` and raises ValidationError naming the failing path (`data.entry.title: 5 is not of type
'string'.`). Unregistered and non-strict types are published as before.

    store.py   the entries in Redis: add (or replace), get, list, remove
    schema.py  the rules of an entry; JSON Schema compiled by `jsonschema`, errors that name the path
    strict.py  the publish path: a per-process cache of compiled schemas, kept current by publish.lua

| key                 | type | holds                                                                           |
|---------------------|------|---------------------------------------------------------------------------------|
| {p}:evtype:all      | hash | event type name -> the type, JSON (description, schema, example, strict, times) |
| {p}:evtype:strict   | hash | strict types only: name -> the version (a digest) of its schema; publish.lua    |
|                     |      | compares it with the version the publishing process validated against           |

Both are written together (MULTI) by `add_event_type` and `remove_event_type`.
"""

from __future__ import annotations

from hooks.catalogue.store import EventType, add_event_type, get_event_type, list_event_types, remove_event_type

__all__ = ["EventType", "add_event_type", "get_event_type", "list_event_types", "remove_event_type"]
