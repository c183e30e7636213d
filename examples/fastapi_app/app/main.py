"""The shop's routes: an order and its event committed in one transaction (the outbox), and an event with no
database write behind it (`publish_event`, straight to Redis). Run: `uvicorn app.main:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from sqlalchemy import select

import hooks
from app.database import Base, SessionDep, engine
from app.models import CartIn, Created, Order, OrderIn, OrderOut, Published
from hooks import outbox

STACK = "shop"  # the stack the shop's events are published on


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    Base.metadata.create_all(engine)  # the app's own table; the outbox's come from `hooks outbox migrate`
    yield
    engine.dispose()


app = FastAPI(title="shop", lifespan=lifespan)


@app.get("/orders")
def list_orders(session: SessionDep) -> list[OrderOut]:
    """Every committed order, newest first."""
    orders = session.scalars(select(Order).order_by(Order.id.desc()))
    return [OrderOut.model_validate(o, from_attributes=True) for o in orders]


@app.post("/orders", status_code=201)
def create_order(body: OrderIn, session: SessionDep) -> Created:
    """Place an order: the row and its `orders.created` event commit together, or neither does."""
    order = Order(customer=body.customer, total_cents=body.total_cents)
    session.add(order)
    session.flush()  # the order's id, for the event
    out = OrderOut.model_validate(order, from_attributes=True)
    event_id = outbox.publish(session, "orders.created", out.model_dump(), stack=STACK)
    if body.card == "declined":  # a step after the event that fails: get_session rolls both back
        raise HTTPException(402, f"the card for order #{order.id} was declined")
    return Created(order=out, event_id=event_id)


@app.post("/carts/{cart_id}/abandoned", status_code=202)
def abandon_cart(cart_id: str, body: CartIn) -> Published:
    """A cart left behind: nothing to write in the database, so the event goes straight to Redis."""
    try:
        event_id = hooks.publish_event("carts.abandoned", {"cart_id": cart_id, **body.model_dump()}, stack=STACK)
    except hooks.PublishError:
        raise HTTPException(503, "events are unavailable, try again") from None
    return Published(event_id=event_id)
