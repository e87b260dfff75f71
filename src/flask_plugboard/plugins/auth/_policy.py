"""The password policy: length limits, and passwords too easy to guess. Pure logic."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from ._errors import PasswordPolicyError

__all__ = ["COMMON_PASSWORDS", "PasswordPolicy"]

#: A short list of the most used passwords (from public breach corpora), kept small on
#: purpose: a full list belongs in a dedicated service, not in every app.
COMMON_PASSWORDS: frozenset[str] = frozenset(
    """
    123456 123456789 12345678 1234567890 1234567891 12345678910 123123123 123456789a
    111111111111 000000000000 123412341234 qwertyuiop qwertyuiop123 1q2w3e4r5t6y
    1qaz2wsx3edc qazwsxedcrfv asdfghjkl asdfghjkl123 zxcvbnm123456 password password1
    password123 password1234 password12345 passw0rd123 p@ssw0rd p@ssw0rd123 p@ssword123
    passwordpassword iloveyou123 iloveyouforever letmein123 letmeinplease welcome123
    welcome12345 welcometo2024 administrator admin123456 adminadmin123 changeme123
    changemenow123 trustno1trustno1 sunshine123 princess123 football123 baseball123
    dragon123456 monkey123456 superman123 starwars123 qwerty123456 qwerty12345678
    abc123456789 abcdefghijkl abcd1234abcd 1234qwerasdf correcthorsebatterystaple
    """.split()
)


@dataclasses.dataclass(frozen=True)
class PasswordPolicy:
    """What a new password must satisfy; ``check`` raises with the reason."""

    min_length: int = 12
    max_bytes: int = 1024
    reject_common: bool = True
    rejected: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls, min_length: int, max_bytes: int, reject_common: bool, rejected: Iterable[str]
    ) -> PasswordPolicy:
        return cls(min_length, max_bytes, reject_common, frozenset(w.casefold() for w in rejected))

    def check(self, password: str, *, username: str = "", email: str | None = None) -> None:
        """Raise :class:`PasswordPolicyError` saying what is wrong with ``password``."""
        if not isinstance(password, str):
            raise PasswordPolicyError("the password must be a string")
        if len(password) < self.min_length:
            raise PasswordPolicyError(
                f"the password is too short ({len(password)} characters): use at least "
                f"{self.min_length}; a few unrelated words make a long, memorable one"
            )
        if len(password.encode("utf-8")) > self.max_bytes:
            raise PasswordPolicyError(
                f"the password is too long: use at most {self.max_bytes} bytes"
            )
        folded = password.casefold()
        personal = {username.casefold()} | ({email.casefold()} if email else set())
        if email and "@" in email:
            personal.add(email.split("@", 1)[0].casefold())
        if folded in personal - {""}:
            raise PasswordPolicyError(
                "the password is the username or the e-mail address: choose another one"
            )
        if (self.reject_common and folded in COMMON_PASSWORDS) or folded in self.rejected:
            raise PasswordPolicyError(
                "the password is too common and easy to guess: choose another one"
            )
