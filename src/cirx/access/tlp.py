"""TLP 2.0 levels and the STIX marking definitions that carry them.

cirx stores one TLP 2.0 level per object version.  On import it accepts the
official OASIS TLP 2.0 marking ids, the TLP 1.0 ids of the ``stix2`` library
(WHITE becomes CLEAR) and OpenCTI's own AMBER+STRICT id, and maps them all to
TLP 2.0.  When an object carries several, the most restrictive wins.
"""

from __future__ import annotations

from cirx.errors import InvalidInput

LEVELS = ("clear", "green", "amber", "amber+strict", "red")
RANK = {level: rank for rank, level in enumerate(LEVELS)}

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_MARKINGS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# What partners send: TLP 1.0 as the stix2 library defines it, and OpenCTI's AMBER+STRICT.
ACCEPTED_MARKINGS = {
    **{marking: level for level, marking in TLP2_MARKINGS.items()},
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",  # TLP 1.0 WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
    "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37": "amber+strict",  # OpenCTI
}


def parse_level(text: str) -> str:
    """A TLP level from what a user types: ``amber``, ``TLP:AMBER+STRICT``, ``white``."""
    level = text.strip().lower().removeprefix("tlp:").replace(" ", "")
    level = {"white": "clear", "amber-strict": "amber+strict", "amberstrict": "amber+strict"}.get(level, level)
    if level not in RANK:
        raise InvalidInput(f"unknown TLP level {text!r}; choose one of {', '.join(LEVELS)}")
    return level


def level_of(marking_refs: list[str] | None) -> str | None:
    """The most restrictive TLP level among an object's marking references, or None."""
    found = [ACCEPTED_MARKINGS[ref] for ref in marking_refs or () if ref in ACCEPTED_MARKINGS]
    return max(found, key=RANK.__getitem__) if found else None


def with_level(marking_refs: list[str] | None, level: str) -> list[str]:
    """Marking references with every TLP marking replaced by the TLP 2.0 one of ``level``."""
    others = [ref for ref in marking_refs or () if ref not in ACCEPTED_MARKINGS]
    return [TLP2_MARKINGS[level], *others]


def at_most(level: str, ceiling: str) -> bool:
    """True when ``level`` is no more restrictive than ``ceiling`` (a peer's highest allowed TLP)."""
    return RANK[level] <= RANK[ceiling]
