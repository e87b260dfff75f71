"""Password hashing: argon2id for new hashes; older formats verified and then upgraded.

Pure logic: no app, no request. :class:`Passwords` is built once per app from the
settings. ``verify`` answers whether the password matches and whether the stored hash
should be replaced (argon2 parameters changed, or a legacy format), so the caller rehashes
right after a successful login.

Legacy formats understood:

- Werkzeug's ``scrypt:...`` and ``pbkdf2:...`` (``generate_password_hash``).
- passlib's ``$pbkdf2-sha256$``, ``$pbkdf2-sha512$`` and ``$pbkdf2$`` (SHA-1). We verify
  these ourselves rather than depend on passlib: it is unmaintained (no release since
  2020, and it breaks with current bcrypt and Python versions). The format is
  ``$pbkdf2-<digest>$<rounds>$<salt>$<checksum>``, salt and checksum in passlib's
  "adapted base64" (``.`` instead of ``+``, no padding).
"""

from __future__ import annotations

import binascii
import dataclasses
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

__all__ = ["Passwords", "Verdict", "passlib_pbkdf2_verify"]

#: passlib handler prefix -> hashlib digest name.
_PASSLIB_PBKDF2 = {"pbkdf2-sha256": "sha256", "pbkdf2-sha512": "sha512", "pbkdf2": "sha1"}


@dataclasses.dataclass(frozen=True)
class Verdict:
    """Result of checking a password: ``ok``, and whether the hash should be replaced."""

    ok: bool
    needs_rehash: bool = False


class Passwords:
    """Hashes and verifies passwords with one app's argon2id parameters."""

    def __init__(self, time_cost: int, memory_cost: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=Type.ID,
        )
        # Verified against when the user does not exist, so that answer takes as long
        # as a wrong password does.
        self._dummy = self._hasher.hash(secrets.token_hex(16))

    def hash(self, password: str) -> str:
        """Return a new argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, stored: str, password: str) -> Verdict:
        """Check ``password`` against the ``stored`` hash, whatever its known format."""
        if stored.startswith("$argon2"):
            try:
                self._hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return Verdict(ok=False)
            return Verdict(ok=True, needs_rehash=self._hasher.check_needs_rehash(stored))
        if stored.startswith(("scrypt:", "pbkdf2:")):
            try:
                ok = check_password_hash(stored, password)
            except ValueError:  # a malformed hash never matches
                ok = False
            return Verdict(ok=ok, needs_rehash=ok)
        if stored.startswith("$pbkdf2"):
            ok = passlib_pbkdf2_verify(stored, password)
            return Verdict(ok=ok, needs_rehash=ok)
        # Unknown format (or an unusable password such as "!"): never matches, but costs
        # the same time as a real check.
        self.dummy_verify(password)
        return Verdict(ok=False)

    def dummy_verify(self, password: str) -> None:
        """Spend the time of one argon2 verification, for users that do not exist."""
        try:
            self._hasher.verify(self._dummy, password)
        except VerificationError:
            pass  # the expected outcome: only the time spent matters


def _ab64_decode(text: str) -> bytes:
    """Decode passlib's adapted base64 (``.`` for ``+``, padding stripped)."""
    data = text.replace(".", "+")
    return binascii.a2b_base64(data + "=" * (-len(data) % 4))


def passlib_pbkdf2_verify(stored: str, password: str) -> bool:
    """Check ``password`` against a passlib ``$pbkdf2[-sha256|-sha512]$`` hash.

    A malformed hash never matches. The comparison takes constant time.
    """
    parts = stored.split("$")
    if len(parts) != 5 or parts[0] != "" or parts[1] not in _PASSLIB_PBKDF2:
        return False
    try:
        rounds = int(parts[2])
        salt = _ab64_decode(parts[3])
        expected = _ab64_decode(parts[4])
    except (ValueError, binascii.Error):
        return False
    if rounds < 1 or not expected:
        return False
    digest = _PASSLIB_PBKDF2[parts[1]]
    actual = hashlib.pbkdf2_hmac(digest, password.encode("utf-8"), salt, rounds, len(expected))
    return hmac.compare_digest(actual, expected)
