"""The transactional outbox: publish an event in the same transaction as the change it announces.

    from hooks import outbox

    with engine.begin() as conn:                     # or a Session, or a psycopg 3 connection
        conn.execute(orders.insert().values(...))
        outbox.publish(conn, "orders.created", {"id": 42}, stack="shop")

`publish` writes the event into the `hooks_outbox` table of the app's database on the connection given (one
INSERT); it reaches Redis only if the transaction commits: the `relay` process (`hooks relay`, HOOKS_OUTBOX_URL)
moves committed rows to Redis and deletes them. Make the tables with `hooks outbox migrate` (a Django project gets
them from `hooks.contrib.django`'s migration).
"""

from hooks.outbox.tables import FAILED_TABLE, OUTBOX_TABLE, metadata
from hooks.outbox.write import publish, publish_many

__all__ = ["FAILED_TABLE", "OUTBOX_TABLE", "metadata", "publish", "publish_many"]
