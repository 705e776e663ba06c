"""Password hashing with argon2id, a memory-hard function (RFC 9106), through argon2-cffi.

Production cost: time_cost=3, memory 64 MiB, parallelism 1 (about 0.15 s per hash on one 2020s core).
Tests build a ``Passwords`` with ``FAST_FOR_TESTS`` so thousands of sign-ins stay quick.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


@dataclass(frozen=True)
class Argon2Cost:
    """argon2id parameters; ``memory_kib`` is in KiB."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 1


PRODUCTION = Argon2Cost()
FAST_FOR_TESTS = Argon2Cost(time_cost=1, memory_kib=8, parallelism=1)


class Passwords:
    """Hash, verify and upgrade password hashes."""

    def __init__(self, cost: Argon2Cost = PRODUCTION) -> None:
        self.cost = cost
        self._hasher = PasswordHasher(
            time_cost=cost.time_cost,
            memory_cost=cost.memory_kib,
            parallelism=cost.parallelism,
            type=Type.ID,
        )

    def hash(self, password: str) -> str:
        """A salted argon2id hash in PHC string form (parameters included)."""
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        """Whether ``password`` matches; a damaged hash is a mismatch, never an exception."""
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether the hash was made with other parameters (rehash it at the next good sign-in)."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def dummy_verify(self, password: str) -> None:
        """Spend the time of one real verification, for a user name that does not exist.

        Without it an unknown name answers in microseconds and a known one in ~0.15 s, and the difference
        tells an attacker which user names exist (the timing-attack note of full-stack-fastapi-template).
        """
        self.verify(self._dummy_hash, password)

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hash("civicgrid-dummy-password-that-matches-nothing")


_default: Passwords | None = None


def default_passwords() -> Passwords:
    """The process-wide hasher with production cost (built on first use)."""
    global _default
    if _default is None:
        _default = Passwords()
    return _default


def use_passwords(passwords: Passwords | None) -> None:
    """Replace the process-wide hasher (tests pass a fast one; None restores production cost)."""
    global _default
    _default = passwords
