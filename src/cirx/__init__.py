"""cirx: the open platform for international cyber-security cooperation."""

from cirx.config import Settings
from cirx.errors import CirxError
from cirx.platform import Platform

__all__ = ["CirxError", "Platform", "Settings"]
__version__ = "0.1.0"
