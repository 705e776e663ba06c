"""Accounts: who may sign in, with which role, and the rules on names, passwords and failed sign-ins.

Pure: no hashing, no database. Services hash and store; this module decides.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from civicgrid.domain.errors import N_, DomainError, InvalidInput, NotFound
from civicgrid.domain.roles import Actor, Role

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # hashing a megabyte "password" is a cheap way to burn our CPU
USERNAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{1,31}")
ACCOUNT_ROLES = frozenset(Role) - {Role.SYSTEM}  # the system acts, it never signs in
# Labels, not the codes themselves, go through the catalogue: a code like "admin" is also a user name.
ROLE_LABELS: dict[Role, str] = {
    Role.RESIDENT: N_("Resident"),
    Role.GRID_WORKER: N_("Grid worker"),
    Role.HANDLER: N_("Department handler"),
    Role.OPERATOR: N_("Operator"),
    Role.SUPERVISOR: N_("Shift supervisor"),
    Role.LEADER: N_("Leader"),
    Role.ADMIN: N_("Administrator"),
    Role.SYSTEM: N_("System"),
}
ROLE_NAMES = ", ".join(r.value for r in Role if r in ACCOUNT_ROLES)


class WeakPassword(DomainError):
    code = "weak_password"
    message = N_("The password is too weak.")


class InvalidUsername(InvalidInput):
    code = "invalid_username"
    message = N_("A user name has 2-32 characters (a-z, 0-9, '.', '_', '-') and starts with a letter.")


class InvalidRole(InvalidInput):
    code = "invalid_role"
    message = N_("Unknown role: {role}; use one of {roles}.")


class MissingScope(InvalidInput):
    code = "missing_scope"
    message = N_("This role needs a worker code or an organisation code.")


class UsernameTaken(DomainError):
    code = "username_taken"
    message = N_("The user name {username} is taken.")


class ApiKeyNameTaken(DomainError):
    """One active key per name: a list of keys must tell them apart, and a form sent twice (a reload)
    must not hand out a second key."""

    code = "api_key_name_taken"
    message = N_("An active key named {name} exists: revoke it first, or give the new one another name.")


class UnknownUser(NotFound):
    code = "unknown_user"
    message = N_("Unknown user: {username}.")


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    # One message for an unknown user and a wrong password: the answer must not tell which names exist.
    message = N_("Wrong user name or password.")


class AccountDisabled(DomainError):
    code = "account_disabled"
    message = N_("This account is deactivated; ask an administrator.")


class NotAllowed(DomainError):
    code = "not_allowed"
    message = N_("You are not allowed to {action}.")


class UnknownWorker(NotFound):
    code = "unknown_worker"
    message = N_("Unknown grid worker: {code}.")


class UnknownAreas(InvalidInput):
    code = "unknown_area"
    message = N_("The map has no area with the code {codes}.")


class UnknownApiKey(NotFound):
    code = "unknown_api_key"
    message = N_("No API key matches {key}.")


class InvalidName(InvalidInput):
    code = "invalid_name"
    message = N_("A name must have 1 to {max_length} characters.")


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    message = N_("Too many failed sign-ins; try again in {retry_after} seconds.")

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(retry_after=retry_after)
        self.retry_after = retry_after  # the HTTP layer sends it as Retry-After


@dataclass(frozen=True, slots=True)
class UserSpec:
    """An account to create: everything but the password."""

    username: str
    role: Role
    display_name: str = ""
    worker_code: str | None = None
    org_code: str | None = None
    area_codes: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class User:
    """An account as stored (without its password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    worker_code: str | None
    org_code: str | None
    area_codes: frozenset[str]
    active: bool

    def actor(self) -> Actor:
        """The actor this user is when acting on cases."""
        return Actor(
            role=self.role,
            id=self.id,
            name=self.display_name or self.username,
            worker_code=self.worker_code,
            org_code=self.org_code,
            area_codes=self.area_codes,
        )


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A machine client's key, as listed: the secret itself is never stored, only its prefix and hash."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the append-only audit log."""

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    actor_role: str | None
    action: str
    target: str
    detail: dict[str, Any]
    client: str | None


def check_name(name: str, *, max_length: int = 100) -> str:
    """A display name or a key/token name, stripped; InvalidName when empty or too long."""
    name = name.strip()
    if not name or len(name) > max_length:
        raise InvalidName(max_length=max_length)
    return name


def normalise_username(username: str) -> str:
    """User names compare case-insensitively and without surrounding blanks."""
    return username.strip().lower()


def check_username(username: str) -> str:
    """The normalised user name, or InvalidUsername."""
    name = normalise_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        raise InvalidUsername()
    return name


def parse_role(value: str) -> Role:
    """A role that an account may have; InvalidRole for 'system' or anything unknown."""
    try:
        role = Role(value.strip().lower())
    except ValueError:
        raise InvalidRole(role=value, roles=ROLE_NAMES) from None
    if role not in ACCOUNT_ROLES:
        raise InvalidRole(role=value, roles=ROLE_NAMES)
    return role


def check_password(password: str, *, username: str) -> None:
    """Refuse passwords that are short, all digits, or the user name (WeakPassword says which)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            N_("The password must have at least {min_length} characters."), min_length=MIN_PASSWORD_LENGTH
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            N_("The password must have at most {max_length} characters."), max_length=MAX_PASSWORD_LENGTH
        )
    if password.isdigit():
        raise WeakPassword(N_("The password must not be made of digits only."))
    if password.strip().lower() == normalise_username(username):
        raise WeakPassword(N_("The password must not be the user name."))


def check_spec(spec: UserSpec) -> UserSpec:
    """A spec with its user name normalised, if its role has what it needs to act in its scope."""
    name = check_username(spec.username)
    if spec.role not in ACCOUNT_ROLES:
        raise InvalidRole(role=spec.role.value, roles=ROLE_NAMES)
    # Without these the case rules could never match the user as an assignee (see Case.is_assignee).
    if spec.role is Role.GRID_WORKER and not spec.worker_code:
        raise MissingScope(N_("A grid worker account needs a worker code."), role=spec.role.value)
    if spec.role is Role.HANDLER and not spec.org_code:
        raise MissingScope(
            N_("A department handler account needs an organisation code."), role=spec.role.value
        )
    return UserSpec(
        username=name,
        role=spec.role,
        display_name=check_name(spec.display_name or name),
        worker_code=spec.worker_code or None,
        org_code=spec.org_code or None,
        area_codes=frozenset(spec.area_codes),
    )


# ------------------------------------------------------------------ throttling failed sign-ins
@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """When failed sign-ins lock a user name or a client address out, and for how long.

    A burst of ``per_username`` failures for one name (or ``per_client`` from one address) within ``window``
    locks it. Each further failure doubles the lock, up to ``max_lock``, counted over ``lookback``, so a
    slow guesser gains nothing by waiting out one lock after another.
    """

    window: timedelta = timedelta(minutes=15)
    per_username: int = 5
    per_client: int = 20
    first_lock: timedelta = timedelta(minutes=1)
    max_lock: timedelta = timedelta(hours=1)
    lookback: timedelta = timedelta(hours=24)


DEFAULT_THROTTLE = ThrottlePolicy()


def locked_for(failures: Sequence[datetime], now: datetime, *, limit: int, policy: ThrottlePolicy) -> int:
    """Seconds until a key with these failure times (oldest first) may try again; 0 when it may now."""
    recent = sorted(t for t in failures if t > now - policy.lookback)
    if len(recent) < limit or recent[-1] - recent[-limit] > policy.window:
        return 0
    doublings = min(len(recent) - limit, 20)  # 2**20 minutes already dwarfs any sensible max_lock
    lock = min(policy.first_lock * (1 << doublings), policy.max_lock)
    return max(0, math.ceil((recent[-1] + lock - now).total_seconds()))


def check_throttle(
    *,
    username_failures: Iterable[datetime],
    client_failures: Iterable[datetime],
    now: datetime,
    policy: ThrottlePolicy = DEFAULT_THROTTLE,
) -> None:
    """Refuse a sign-in while its user name or its client address is locked (TooManyAttempts)."""
    wait = max(
        locked_for(list(username_failures), now, limit=policy.per_username, policy=policy),
        locked_for(list(client_failures), now, limit=policy.per_client, policy=policy),
    )
    if wait > 0:
        raise TooManyAttempts(retry_after=wait)
