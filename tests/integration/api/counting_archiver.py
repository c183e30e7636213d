"""`python -m tests.integration.api.counting_archiver`: the archiver with the metrics hook in `Archiver._done`.

Until workers/archiver/archiver.py makes the call itself, this runs it with `_done` as it will read then: the
same pipeline acknowledges the batch's entries and adds its records to the counters (`count_archived`). Once
the archiver has the call, this runs it unchanged (so nothing is counted twice).
"""

from __future__ import annotations

import inspect
import sys

from hooks.errors import HooksError
from hooks.metrics.counters import count_archived
from hooks.store.stream import GROUP
from workers.archiver import archiver as module


def _done(self: module.Archiver, batch: module.ArchiveBatch) -> None:
    with self.client.pipeline(transaction=False) as pipe:
        pipe.xack(self.keys.history, GROUP, *batch.entry_ids)
        pipe.xdel(self.keys.history, *batch.entry_ids)
        count_archived(pipe, self.settings, batch.deliveries, batch.attempts)  # the one line the archiver needs
        pipe.execute()
    done = batch.finished_deliveries
    if done or batch.finished_events:
        module._FORGET.run(self.client, self.keys.p, len(done), *done, *batch.finished_events)


def install() -> bool:
    """Put the hook in, unless the archiver has it already; returns whether it was put in."""
    if "count_archived" in inspect.getsource(module):
        return False
    module.Archiver._done = _done  # type: ignore[method-assign]
    return True


if __name__ == "__main__":
    install()
    try:
        sys.exit(module.main())
    except HooksError as exc:
        sys.exit(f"archiver: {exc}")
