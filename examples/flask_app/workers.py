"""The shop's own background jobs, kept as an RQ app keeps them: a module named `workers` at the app's root
(`rq worker` imports the jobs by their dotted path, `workers.send_receipt`).

The engine of hooks is a package named `workers` too. It does not shadow this module, nor this module it: the app
imports this one, and `hooks worker` started from this folder loads the engine from where hooks is installed.
"""

from __future__ import annotations

import logging

log = logging.getLogger("shop.workers")


def send_receipt(order_id: int, customer: str) -> str:
    """Email the receipt of an order (an RQ job; this example only logs it); returns the message's subject."""
    subject = f"Your order #{order_id}, {customer}"
    log.info("receipt queued: %s", subject)
    return subject
