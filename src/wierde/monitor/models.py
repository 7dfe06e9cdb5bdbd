"""The table of indicator alert subscriptions (migration 0005), owned by the monitor that reads and writes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wierde.store.models import Base, utcnow


class AlertSubscription(Base):
    """Who hears about which indicator's rule, and the state that rule last saw (so no state is sent twice)."""

    __tablename__ = "alert_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    indicator_id: Mapped[str] = mapped_column(String(100), index=True)
    rule: Mapped[str] = mapped_column(String(20))
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    region: Mapped[str | None] = mapped_column(String(100), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    webhook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    lang: Mapped[str] = mapped_column(String(5), default="nl")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_state: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_state_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


@dataclass(frozen=True)
class Subscription:
    """A subscription as callers see it, never the live row."""

    id: int
    indicator_id: str
    rule: str
    threshold: float | None
    region: str | None
    email: str | None
    webhook_url: str | None
    lang: str
    last_state: str | None
    last_sent_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, row: AlertSubscription) -> Subscription:
        return cls(row.id, row.indicator_id, row.rule, row.threshold, row.region, row.email, row.webhook_url,
                   row.lang, row.last_state, row.last_sent_at, row.last_error)
