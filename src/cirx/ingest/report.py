"""What an import did: imported, unchanged, rejected (with the reason for each)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cirx.errors import InvalidObject


@dataclass
class ImportReport:
    """Counts and rejections of one import (one file, bundle or dataset).

    Converters call :meth:`reject` for each bad object or row and go on, so a
    user sees every problem at once; the store then writes nothing for that
    file if anything was rejected (all-or-nothing per file).
    """

    source: str
    read: int = 0
    imported: int = 0
    unchanged: int = 0
    rejected: list[InvalidObject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def reject(self, error: InvalidObject) -> None:
        """Record one rejected object or row with its reason."""
        self.rejected.append(error)

    def note(self, message: str) -> None:
        """Record something the user should know that is not a rejection."""
        self.notes.append(message)

    @property
    def ok(self) -> bool:
        """True when nothing was rejected."""
        return not self.rejected

    def as_dict(self) -> dict[str, object]:
        """The report as plain data, for ``--json`` output and the API."""
        return {
            "source": self.source,
            "read": self.read,
            "imported": self.imported,
            "unchanged": self.unchanged,
            "rejected": [
                {"object": r.object_ref, "property": r.property, "reason": r.reason}
                for r in self.rejected
            ],
            "notes": list(self.notes),
        }
