"""Secrets this node must present to others (federation peers' tokens), encrypted at rest.

A token a *caller* presents is stored as a hash (it only needs checking); a token
this node presents to a peer must be read back, so it is encrypted with Fernet
(AES-128-CBC with HMAC-SHA256, from ``cryptography``).  The key comes from the
``CIRX_SECRET_KEY`` setting or, without one, from ``secret.key`` in the data
directory, created on first use and readable by its owner only.  A stored value
is ``fernet:`` followed by the token; anything else is an older plaintext value,
still read so that existing peers keep syncing, and re-encrypted when rewritten.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from cirx.config import Settings
from cirx.errors import ConfigurationError

PREFIX = "fernet:"


class SecretBox:
    """Encrypts and decrypts stored credentials with the node's key."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def key_file(self) -> Path:
        """Where the key lives when ``CIRX_SECRET_KEY`` is not set."""
        return self._settings.data_dir / "secret.key"

    @cached_property
    def _fernet(self) -> Fernet:
        key = self._settings.secret_key.strip() or self._key_from_file()
        try:
            return Fernet(key.encode())
        except ValueError as exc:
            raise ConfigurationError(
                "CIRX_SECRET_KEY (or secret.key) is not a Fernet key: 32 url-safe base64-encoded bytes, "
                "as made by `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'`"
            ) from exc

    def _key_from_file(self) -> str:
        path = self.key_file
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(Fernet.generate_key())
        return path.read_text().strip()

    def seal(self, secret: str | None) -> str | None:
        """The stored form of ``secret`` (None stays None)."""
        if not secret:
            return None
        return PREFIX + self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str | None) -> str | None:
        """The secret from its stored form; :class:`ConfigurationError` when the key does not fit."""
        if not stored:
            return None
        if not stored.startswith(PREFIX):
            return stored  # written before credentials were encrypted
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode()).decode()
        except InvalidToken as exc:
            raise ConfigurationError(
                "a stored peer credential cannot be decrypted with this node's key: was CIRX_SECRET_KEY or "
                f"{self.key_file} changed? Re-add the peer with its token."
            ) from exc
