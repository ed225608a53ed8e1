"""Peer credentials are encrypted at rest and still usable by the sync."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from cirx import Platform, Settings
from cirx.access.secrets import PREFIX, SecretBox
from cirx.errors import ConfigurationError
from cirx.federation.peers import PeerService
from cirx.federation.tables import Peer


def test_a_peer_token_is_stored_encrypted_and_read_back(sqlite_platform: Platform) -> None:
    sqlite_platform.organisations.create("CERT-FR", country="FR")
    PeerService(sqlite_platform).add("fr", "https://taxii.example.fr/api/", "c1", "s3cret-peer-token",
                                     org="CERT-FR")
    with sqlite_platform.engine.connect() as connection:
        stored = connection.execute(select(Peer.token)).scalar_one()
    assert stored.startswith(PREFIX)
    assert "s3cret-peer-token" not in stored
    assert SecretBox(sqlite_platform.settings).open(stored) == "s3cret-peer-token"


def test_the_key_file_is_created_once_and_private(tmp_path: Path) -> None:
    box = SecretBox(Settings(data_dir=tmp_path))
    sealed = box.seal("token")
    mode = stat.S_IMODE(box.key_file.stat().st_mode)
    assert mode == 0o600
    assert SecretBox(Settings(data_dir=tmp_path)).open(sealed) == "token"


def test_a_configured_key_wins_and_a_wrong_key_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=Fernet.generate_key().decode())
    sealed = SecretBox(settings).seal("token")
    assert not (tmp_path / "secret.key").exists()
    other = replace(settings, secret_key=Fernet.generate_key().decode())
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        SecretBox(other).open(sealed)
    with pytest.raises(ConfigurationError, match="not a Fernet key"):
        SecretBox(replace(settings, secret_key="short")).seal("x")


def test_plaintext_written_before_encryption_still_reads(tmp_path: Path) -> None:
    assert SecretBox(Settings(data_dir=tmp_path)).open("legacy-token") == "legacy-token"
    assert SecretBox(Settings(data_dir=tmp_path)).seal(None) is None
