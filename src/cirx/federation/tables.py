"""Federation peers: other cirx nodes (or any TAXII 2.1 server) this node syncs with."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cirx.store.schema import Base


class Peer(Base):
    """A peer node with its sharing policy and resumable cursors.

    ``max_tlp`` is the highest TLP level ever sent to the peer; ``groups`` (JSON
    list of sharing-group names) the sharing groups whose AMBER objects may go to
    it.  ``pull_cursor`` is the peer's last ``X-TAXII-Date-Added-Last`` seen;
    ``push_cursor`` the last local ``added_seq`` pushed.  ``token`` is the secret
    this node presents to the peer, encrypted (:mod:`cirx.access.secrets`); the peer stores only its hash.
    """

    __tablename__ = "peers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    api_root: Mapped[str] = mapped_column(Text)
    collection_id: Mapped[str] = mapped_column(String(64))
    token: Mapped[str | None] = mapped_column(Text)
    org_id: Mapped[int | None] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(8), default="both")
    max_tlp: Mapped[str] = mapped_column(String(16), default="green")
    groups: Mapped[str] = mapped_column(Text, default="[]")
    pull_cursor: Mapped[str | None] = mapped_column(String(32))
    push_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    last_sync_at: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))
