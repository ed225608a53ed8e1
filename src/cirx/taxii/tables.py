"""TAXII 2.1 status resources (section 4.3.1): the outcome of each POST to a collection."""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cirx.store.schema import Base


class TaxiiStatus(Base):
    """One status resource; ``successes``/``failures``/``pendings`` are JSON lists."""

    __tablename__ = "taxii_status"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[int | None] = mapped_column(Integer)
    collection_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    request_timestamp: Mapped[str] = mapped_column(String(32))
    total_count: Mapped[int] = mapped_column(Integer)
    success_count: Mapped[int] = mapped_column(Integer)
    failure_count: Mapped[int] = mapped_column(Integer)
    pending_count: Mapped[int] = mapped_column(Integer)
    successes: Mapped[str] = mapped_column(Text, default="[]")
    failures: Mapped[str] = mapped_column(Text, default="[]")
    pendings: Mapped[str] = mapped_column(Text, default="[]")
