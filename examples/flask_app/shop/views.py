"""The shop's routes: an order and its event committed together (the outbox), and an event with no database
write behind it (`publish_event`, straight to Redis)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import select

import hooks
import workers
from hooks import outbox
from shop.models import Order, db

bp = Blueprint("shop", __name__)


class PaymentDeclined(Exception):
    """The card was refused: the order, and the event announcing it, are rolled back."""


@bp.get("/orders")
def list_orders() -> Any:
    """Every committed order, newest first."""
    orders = db.session.scalars(select(Order).order_by(Order.id.desc())).all()
    return jsonify([o.to_dict() for o in orders])


@bp.post("/orders")
def create_order() -> Any:
    """Place an order: the row and its `orders.created` event commit together, or neither does."""
    body = _json_object()
    customer, total_cents = body.get("customer"), body.get("total_cents")
    if not isinstance(customer, str) or not customer or not isinstance(total_cents, int):
        abort(400, "expected a customer (a string) and total_cents (a whole number)")
    order = Order(customer=customer, total_cents=total_cents)
    db.session.add(order)
    db.session.flush()  # the order's id, for the event
    event_id = outbox.publish(db.session, "orders.created", order.to_dict(), stack=current_app.config["HOOKS_STACK"])
    _charge(order, card=str(body.get("card", "")))  # raises PaymentDeclined: nothing above is committed
    db.session.commit()  # the order and its event: the relay sends the event once this returns
    workers.send_receipt(order.id, order.customer)  # an RQ app would enqueue it here, after the commit
    return {**order.to_dict(), "event_id": event_id}, 201


@bp.post("/carts/<cart_id>/abandoned")
def abandon_cart(cart_id: str) -> Any:
    """A cart left behind: nothing to write in the database, so the event goes straight to Redis."""
    event_id = hooks.publish_event(
        "carts.abandoned", {"cart_id": cart_id, **_json_object()}, stack=current_app.config["HOOKS_STACK"]
    )
    return {"event_id": event_id}, 202


@bp.errorhandler(PaymentDeclined)
def payment_declined(exc: PaymentDeclined) -> Any:
    # Flask-SQLAlchemy ends the request's session at teardown, which rolls back what was not committed; saying it
    # here keeps the rollback next to the reason for it.
    db.session.rollback()
    return {"error": str(exc)}, 402


@bp.errorhandler(hooks.PublishError)
def redis_unreachable(exc: hooks.PublishError) -> Any:
    return {"error": "events are unavailable, try again"}, 503


def _charge(order: Order, *, card: str) -> None:
    """Stand-in for a payment provider: the card "declined" is refused."""
    if card == "declined":
        raise PaymentDeclined(f"the card for order #{order.id} was declined")


def _json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "expected a JSON object")
    return body
