"""What the archiver reads from the history stream, as the history's records.

An entry has `d`, a JSON array of deliveries' new states each with the attempt just made (or null), and/or `e`,
a JSON array of finished events (hooks/store/includes/history.lua). A batch of entries becomes one write.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import orjson

from hooks.history import AttemptRecord, DeliveryRecord, EventRecord

log = logging.getLogger(__name__)


@dataclass
class ArchiveBatch:
    """The records of some stream entries, ready for one `write_batch`, and what to clean up after it."""

    entry_ids: list[bytes] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    deliveries: list[DeliveryRecord] = field(default_factory=list)
    attempts: list[AttemptRecord] = field(default_factory=list)
    raw: dict[bytes, dict[bytes, bytes]] = field(default_factory=dict)  # entry id -> its fields, to split it

    def split(self) -> list[ArchiveBatch]:
        """One batch per entry (to find the one the database refuses)."""
        out = []
        for entry_id in self.entry_ids:
            one = ArchiveBatch()
            one.add(entry_id, self.raw.get(entry_id))
            out.append(one)
        return out

    @property
    def finished_deliveries(self) -> list[str]:
        """Ids of the deliveries this batch finishes (to take off the indexes of work in flight)."""
        return sorted({d.id for d in self.deliveries if d.status != "pending"})

    @property
    def finished_events(self) -> list[str]:
        """Ids of the events this batch finishes."""
        return sorted({e.id for e in self.events})

    def add(self, entry_id: bytes, fields: dict[bytes, bytes] | None) -> None:
        """Add one entry's records; an entry that cannot be read is logged and skipped (it would block the rest)."""
        self.entry_ids.append(entry_id)
        if not fields:
            return  # deleted after it was delivered to us: it was archived already
        self.raw[entry_id] = fields
        try:
            for item in orjson.loads(fields.get(b"d", b"[]")):
                self._add_delivery(item)
            for item in orjson.loads(fields.get(b"e", b"[]")):
                self.events.append(_event(item))
        except (ValueError, TypeError, KeyError) as exc:  # orjson.JSONDecodeError is a ValueError
            log.error("archiver: stream entry %s is not readable (%s); skipped", entry_id.decode(), exc)

    def _add_delivery(self, item: dict[str, Any]) -> None:
        attempt = item.pop("attempt", None)
        self.deliveries.append(DeliveryRecord.from_dict(item))
        if attempt:
            self.attempts.append(AttemptRecord.from_dict(attempt))


def _event(item: dict[str, Any]) -> EventRecord:
    """An event record from what the take script built (Lua's false for a missing field, channels comma-joined)."""
    data = {k: (None if v is False else v) for k, v in item.items()}
    data["channels"] = [c for c in (data.get("channels") or "").split(",") if c]
    filtered = data.get("filtered_out")
    if filtered:  # the webhooks its payload filters left out (take.lua), comma-joined too
        data["filtered_out"] = ids = str(filtered).split(",")
        data["filtered_count"] = int(data.get("filtered_count") or len(ids))
    return EventRecord.from_dict(data)
