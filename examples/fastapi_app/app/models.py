"""The app's table and the shapes its routes take and give (one pydantic model per route)."""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import BaseModel, Field
from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base


class Order(Base):
    """An order placed in the shop."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer: Mapped[str] = mapped_column(String(200))
    total_cents: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))


class OrderIn(BaseModel):
    """POST /orders."""

    customer: str = Field(min_length=1, max_length=200)
    total_cents: int = Field(ge=0)
    card: str = ""  # "declined" makes the payment fail after the event is written: both roll back


class OrderOut(BaseModel):
    """An order as the API answers it and as its webhook carries it."""

    id: int
    customer: str
    total_cents: int


class Created(BaseModel):
    """A created order, with the id of the event announcing it."""

    order: OrderOut
    event_id: str


class Published(BaseModel):
    """The id of an event published straight to Redis."""

    event_id: str


class CartIn(BaseModel):
    """POST /carts/{cart_id}/abandoned."""

    customer: str = Field(min_length=1, max_length=200)
    items: int = Field(ge=0)
