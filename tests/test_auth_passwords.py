"""Password hashing and the password policy of the auth plugin: pure logic, no app."""

from __future__ import annotations

import re

import pytest
from werkzeug.security import generate_password_hash

from flask_plugboard.plugins.auth import PasswordPolicy, PasswordPolicyError, Passwords
from flask_plugboard.plugins.auth._passwords import passlib_pbkdf2_verify

# Made with passlib 1.7.4: pbkdf2_sha256 / _sha512 / _sha1 .using(rounds=1000).hash(...)
PASSLIB_SHA256 = (
    "$pbkdf2-sha256$1000$XSslRAjhPKf0XuvdOyfE2A$m25SGDD83a32FnaTbMTq16DhPAqjybk9Ms2.fX84u9I"
)
PASSLIB_SHA512 = (
    "$pbkdf2-sha512$1000$I6S01jrHeG8NQShFyDnH.A$NijAFlJB9d8t5AWVDiIOTq2Vz8s15AnlErB8zRfmysT6"
    "OczJIi42VRaduIcZNXLfi7KyIWOPHnW3NDzRtj9nMw"
)
PASSLIB_SHA1 = "$pbkdf2$1000$TOmd05ozpvReS2lNae39/w$VAe6NyP2PPKFkj7DB8EgwQHeJfo"
PASSLIB_UNICODE = (
    "$pbkdf2-sha256$1000$03rPubdWKgVgrHVu7d3bWw$TQG2CJ.vWwodfJq4Wy/sBnDR21.mNkX71DRh0ErReYM"
)
PASSWORD = "correct horse battery"


def fast(time_cost: int = 1, memory_cost: int = 64) -> Passwords:
    return Passwords(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)


def test_new_hashes_are_argon2id_and_verify() -> None:
    passwords = fast()
    stored = passwords.hash(PASSWORD)

    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, PASSWORD).ok
    assert not passwords.verify(stored, PASSWORD + "!").ok
    assert not passwords.verify(stored, PASSWORD).needs_rehash


def test_changed_parameters_ask_for_a_rehash() -> None:
    stored = fast(time_cost=1).hash(PASSWORD)

    verdict = fast(time_cost=2).verify(stored, PASSWORD)

    assert verdict.ok and verdict.needs_rehash


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256:1000", "pbkdf2:sha512:1000"])
def test_werkzeug_hashes_verify_and_ask_for_an_upgrade(method: str) -> None:
    stored = generate_password_hash(PASSWORD, method=method)

    verdict = fast().verify(stored, PASSWORD)

    assert verdict.ok and verdict.needs_rehash
    assert not fast().verify(stored, "wrong password").ok


@pytest.mark.parametrize(
    ("stored", "password"),
    [
        (PASSLIB_SHA256, PASSWORD),
        (PASSLIB_SHA512, PASSWORD),
        (PASSLIB_SHA1, PASSWORD),
        (PASSLIB_UNICODE, "pässwörd ünïcode"),
    ],
)
def test_passlib_pbkdf2_hashes_verify_and_ask_for_an_upgrade(stored: str, password: str) -> None:
    verdict = fast().verify(stored, password)

    assert verdict.ok and verdict.needs_rehash
    assert not fast().verify(stored, password.upper()).ok


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "!",
        "plain text password",
        "$pbkdf2-sha256$1000$onlythree",
        "$pbkdf2-sha256$many$c2FsdA$c2FsdA",
        "$pbkdf2-sha256$0$c2FsdA$c2FsdA",
        "$pbkdf2-md5$1000$c2FsdA$c2FsdA",
        "$pbkdf2-sha256$1000$!!!$???",
        "$argon2id$v=19$garbage",
        "scrypt:garbage",
        "pbkdf2:sha256:notanumber$salt$hash",
    ],
)
def test_malformed_or_unknown_hashes_never_match(stored: str) -> None:
    assert not fast().verify(stored, PASSWORD).ok
    assert not passlib_pbkdf2_verify(stored, PASSWORD)


def test_the_same_password_hashes_differently_each_time() -> None:
    passwords = fast()

    assert passwords.hash(PASSWORD) != passwords.hash(PASSWORD)


# -- policy --------------------------------------------------------------------------------


def test_policy_accepts_a_long_uncommon_password() -> None:
    PasswordPolicy().check("a quiet tram to Lisbon", username="alice", email="alice@example.org")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "too short (5 characters): use at least 12"),
        ("x" * 1025, "too long: use at most 1024 bytes"),
        ("é" * 513, "too long: use at most 1024 bytes"),
        ("Alice.Liddell", "is the username or the e-mail address"),
        ("ALICE.LIDDELL@EXAMPLE.ORG", "is the username or the e-mail address"),
        ("Password1234", "too common"),
        ("qwertyuiop", "too short"),
    ],
)
def test_policy_refuses_with_the_reason(password: str, message: str) -> None:
    with pytest.raises(PasswordPolicyError, match=re.escape(message)):
        PasswordPolicy().check(
            password, username="alice.liddell", email="alice.liddell@example.org"
        )


def test_policy_settings_change_what_is_refused() -> None:
    policy = PasswordPolicy.build(
        min_length=4, max_bytes=20, reject_common=False, rejected=["PlugboardRocks"]
    )

    policy.check("password1234")  # common, but the list is off
    with pytest.raises(PasswordPolicyError, match="too common"):
        policy.check("plugboardrocks")
    with pytest.raises(PasswordPolicyError, match="at most 20 bytes"):
        policy.check("x" * 21)
    with pytest.raises(PasswordPolicyError, match="at least 4"):
        policy.check("abc")
