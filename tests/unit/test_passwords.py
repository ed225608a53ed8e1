"""Password accounts: salted scrypt hashes, one answer to every wrong sign-in, short-lived sessions."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from cirx import Platform
from cirx.access.organisations import SIGN_IN_FAILED, hash_password, verify_password
from cirx.access.policy import Role
from cirx.errors import InvalidInput, NotFound, Unauthenticated

PASSWORD = "a long enough passphrase"


def test_hashes_are_salted_scrypt_and_verify_in_constant_time() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second and first.startswith("scrypt$16384$8$1$") and PASSWORD not in first
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "x", first)
    assert not verify_password(PASSWORD, "bcrypt$whatever") and not verify_password(PASSWORD, "garbage")


def test_set_and_check_a_password(platform: Platform) -> None:
    """On SQLite and PostgreSQL (migration 0005 adds the column on both)."""
    orgs = platform.organisations
    orgs.create("CERT-EE", country="EE")
    record = orgs.set_password("CERT-EE", "kadri", PASSWORD, role="org-admin")
    assert (record.name, record.role, record.has_password) == ("kadri", "org-admin", True)
    assert orgs.check_password("CERT-EE", "kadri", PASSWORD).id == record.id
    with platform.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT password_hash FROM users").scalar()
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    # Changing the password keeps the role; a new user without a role is a reader.
    orgs.set_password("CERT-EE", "kadri", PASSWORD + "!")
    assert orgs.user(record.id).role == "org-admin"
    assert orgs.set_password("CERT-EE", "mari", PASSWORD).role == "reader"


def test_every_wrong_sign_in_gets_the_same_message(sqlite_platform: Platform) -> None:
    orgs = sqlite_platform.organisations
    orgs.create("CERT-EE", country="EE")
    orgs.create("CERT-PT", country="PT")
    orgs.set_password("CERT-EE", "kadri", PASSWORD)
    orgs.create_token("CERT-EE", user="token-only")  # a user without a password
    messages = set()
    timings = []
    for org, user, password in [("CERT-EE", "kadri", "wrong " + PASSWORD), ("CERT-EE", "nobody", PASSWORD),
                                ("CERT-XX", "kadri", PASSWORD), ("CERT-PT", "kadri", PASSWORD),
                                ("CERT-EE", "token-only", PASSWORD), ("CERT-EE", "kadri", "")]:
        started = time.perf_counter()
        with pytest.raises(Unauthenticated) as caught:
            orgs.check_password(org, user, password)
        timings.append(time.perf_counter() - started)
        messages.add(str(caught.value))
    assert messages == {SIGN_IN_FAILED}
    # Unknown names cost a scrypt run too (tens of milliseconds), as a wrong password does.
    assert min(timings) > 0.01


def test_passwords_are_checked_and_named(sqlite_platform: Platform) -> None:
    orgs = sqlite_platform.organisations
    orgs.create("CERT-EE", country="EE")
    with pytest.raises(InvalidInput, match=r"^password: at least 12"):
        orgs.set_password("CERT-EE", "kadri", "short")
    with pytest.raises(InvalidInput, match=r"^user:"):
        orgs.set_password("CERT-EE", " ", PASSWORD)
    with pytest.raises(InvalidInput, match="unknown role"):
        orgs.set_password("CERT-EE", "kadri", PASSWORD, role="boss")
    with pytest.raises(NotFound):
        orgs.set_password("CERT-XX", "kadri", PASSWORD)


def test_a_session_lasts_twelve_hours_and_is_revocable(sqlite_platform: Platform) -> None:
    orgs = sqlite_platform.organisations
    orgs.create("CERT-EE", country="EE")
    record = orgs.set_password("CERT-EE", "kadri", PASSWORD, role="contributor")
    token, expires = orgs.issue_session(record.id)
    hours = (datetime.fromisoformat(expires.replace("Z", "+00:00")) - datetime.now(UTC)).total_seconds() / 3600
    assert 11.9 < hours <= 12
    principal = orgs.authenticate(token)
    assert principal.user_id == record.id and principal.role is Role.CONTRIBUTOR
    orgs.revoke_token(token)
    with pytest.raises(Unauthenticated, match="revoked"):
        orgs.authenticate(token)


def test_the_default_marking_can_be_changed(sqlite_platform: Platform) -> None:
    orgs = sqlite_platform.organisations
    org = orgs.create("CERT-EE", country="EE")
    assert orgs.set_default_tlp(org.id, "TLP:GREEN").default_tlp == "green"
    with pytest.raises(InvalidInput, match="unknown TLP level"):
        orgs.set_default_tlp(org.id, "pink")
    with pytest.raises(NotFound):
        orgs.set_default_tlp(999, "green")
