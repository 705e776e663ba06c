"""Account use cases: users, sign-in (throttled), page sessions, machine tokens, API keys; all audited.

Secrets (session ids, tokens, API keys) are handed out once and stored only as sha256 digests. They are
256-bit random strings, so a fast hash is enough; passwords, which people choose, get argon2id.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.adapters.passwords import Passwords, default_passwords
from civicgrid.demo.accounts import demo_accounts
from civicgrid.demo.people import WorkerSpec
from civicgrid.domain.accounts import (
    DEFAULT_THROTTLE,
    AccountDisabled,
    ApiKey,
    InvalidCredentials,
    NotAllowed,
    ThrottlePolicy,
    TooManyAttempts,
    UnknownApiKey,
    UnknownUser,
    UnknownWorker,
    User,
    UsernameTaken,
    UserSpec,
    check_name,
    check_password,
    check_spec,
    check_throttle,
    normalise_username,
)
from civicgrid.domain.catalogue import Catalogue, UnknownOrganisation
from civicgrid.domain.errors import N_
from civicgrid.domain.roles import Actor, Role

UowFactory = Callable[[], UnitOfWork]

SESSION_TTL = timedelta(hours=12)  # idle time after which a page session ends (sliding)
SESSION_MAX_AGE = timedelta(days=7)  # a session ends this long after sign-in however busy it is
TOUCH_EVERY = timedelta(minutes=1)  # store last-seen times at most this often: a write per request is waste
TOKEN_PREFIX = "cgt_"
API_KEY_PREFIX = "cgk_"
API_KEY_SHOWN = len(API_KEY_PREFIX) + 8  # 'cgk_' and 8 random characters name a key in lists
ACCOUNT_ADMINS = frozenset({Role.ADMIN, Role.SYSTEM})


def secret_hash(secret: str) -> str:
    """How a session id, token or API key is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def csrf_ok(expected: str, given: str | None) -> bool:
    """Whether a form's CSRF token is the session's (compared in constant time)."""
    return given is not None and hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def command_line_actor() -> Actor:
    """Who acts when an administrator runs ``civicgrid`` on the server (named so in the audit log)."""
    try:
        who = getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        who = "?"
    return Actor(role=Role.SYSTEM, name=f"cli:{who}")


# ---------------------------------------------------------------------------------------------- users
def create_user(
    *,
    uow: UowFactory,
    actor: Actor,
    spec: UserSpec,
    password: str,
    now: datetime,
    client: str | None = None,
    passwords: Passwords | None = None,
) -> User:
    """Create an account (administrators only); the password must pass the policy."""
    _require_admin(actor)
    spec = check_spec(spec)
    check_password(password, username=spec.username)
    # Hash before the transaction: argon2 takes ~0.15 s and must not hold SQLite's write lock.
    password_hash = (passwords or default_passwords()).hash(password)
    with uow() as u:
        user = _add_user(u, actor, spec, password_hash, now, client)
        u.commit()
    return user


def list_users(*, uow: UowFactory, role: Role | None = None) -> list[User]:
    """Every account (active or not), by user name."""
    with uow() as u:
        return u.accounts.users(role=role)


def set_password(
    *,
    uow: UowFactory,
    actor: Actor,
    username: str,
    password: str,
    now: datetime,
    current_password: str | None = None,
    client: str | None = None,
    passwords: Passwords | None = None,
) -> None:
    """Set a user's password: an administrator for anyone, a user for themself with the current one.

    Every session of the user ends: whoever knew the old password is signed out.
    """
    hasher = passwords or default_passwords()
    name = normalise_username(username)
    check_password(password, username=name)
    new_hash = hasher.hash(password)
    with uow() as u:
        user = _user(u, name)
        if actor.role not in ACCOUNT_ADMINS:
            own = actor.id is not None and actor.id == user.id
            if not own or current_password is None:
                raise NotAllowed(action=N_("change this password"))
            if not hasher.verify(u.accounts.password_hash(user.id), current_password):
                raise InvalidCredentials()
        u.accounts.set_password_hash(user.id, new_hash)
        ended = u.accounts.delete_sessions_of(user.id)
        u.accounts.audit(
            actor=actor,
            action="user.password",
            target=_target(user),
            detail={"sessions_ended": ended},
            client=client,
            now=now,
        )
        u.commit()


def deactivate(
    *, uow: UowFactory, actor: Actor, username: str, now: datetime, client: str | None = None
) -> User:
    """Stop an account from signing in: its sessions end and its tokens are revoked (administrators only)."""
    _require_admin(actor)
    with uow() as u:
        user = _user(u, normalise_username(username))
        if actor.id is not None and actor.id == user.id:
            raise NotAllowed(action=N_("deactivate your own account"))
        u.accounts.set_active(user.id, False)
        ended = u.accounts.delete_sessions_of(user.id)
        revoked = u.accounts.revoke_tokens_of(user.id, now)
        u.accounts.audit(
            actor=actor,
            action="user.deactivate",
            target=_target(user),
            detail={"sessions_ended": ended, "tokens_revoked": revoked},
            client=client,
            now=now,
        )
        u.commit()
        found = u.accounts.user_by_id(user.id)
    assert found is not None
    return found


# -------------------------------------------------------------------------------------------- sign-in
def authenticate(
    *,
    uow: UowFactory,
    username: str,
    password: str,
    client: str | None,
    now: datetime,
    policy: ThrottlePolicy = DEFAULT_THROTTLE,
    passwords: Passwords | None = None,
) -> User:
    """Check a user name and password; throttled per user name and per client address, always audited.

    Two short transactions around the slow hash check, so sign-ins do not hold the write lock for 0.15 s.
    The attempt is stored as a failure in the first one and corrected on success, so concurrent guesses
    already count against each other.
    """
    hasher = passwords or default_passwords()
    name = normalise_username(username)[:64]
    since = now - policy.lookback
    with uow() as u:
        u.accounts.forget_attempts_before(since)
        try:
            check_throttle(
                username_failures=u.accounts.username_failures(name, since),
                client_failures=u.accounts.client_failures(client, since) if client else (),
                now=now,
                policy=policy,
            )
        except TooManyAttempts as refused:
            u.accounts.audit(
                actor=None,
                action="sign_in.throttled",
                target=f"user:{name}",
                detail={"retry_after": refused.retry_after},
                client=client,
                now=now,
            )
            u.commit()
            raise
        attempt = u.accounts.record_attempt(username=name, client=client, ok=False, now=now)
        user = u.accounts.user_by_username(name)
        stored = u.accounts.password_hash(user.id) if user is not None else None
        u.commit()
    if stored is None:
        hasher.dummy_verify(password)  # same time as a real check: the answer must not reveal the name exists
        matched = False
    else:
        matched = hasher.verify(stored, password)
    # The cost was raised since this hash was made: store a new one (hashed here, outside the transaction).
    upgraded = hasher.hash(password) if matched and stored and hasher.needs_rehash(stored) else None
    with uow() as u:
        if user is None or not matched:
            reason = "unknown_user" if user is None else "wrong_password"
            u.accounts.audit(
                actor=None,
                action="sign_in.failed",
                target=f"user:{name}",
                detail={"reason": reason},
                client=client,
                now=now,
            )
            u.commit()
            raise InvalidCredentials()
        u.accounts.mark_attempt_ok(attempt)
        if not user.active:
            u.accounts.audit(
                actor=user.actor(),
                action="sign_in.refused",
                target=_target(user),
                detail={"reason": "deactivated"},
                client=client,
                now=now,
            )
            u.commit()
            raise AccountDisabled()
        if upgraded is not None:
            u.accounts.set_password_hash(user.id, upgraded)
        u.accounts.audit(actor=user.actor(), action="sign_in", target=_target(user), client=client, now=now)
        u.commit()
    return user


# ------------------------------------------------------------------------------------- page sessions
def start_session(
    *, uow: UowFactory, user: User, now: datetime, ttl: timedelta = SESSION_TTL
) -> tuple[str, str]:
    """A new page session: (secret for the HttpOnly cookie, CSRF token for the session's forms)."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with uow() as u:
        u.accounts.add_session(
            session_id=secret_hash(secret),
            user_id=user.id,
            csrf_token=csrf,
            now=now,
            expires_at=min(now + ttl, now + SESSION_MAX_AGE),
        )
        u.commit()
    return secret, csrf


def resolve_session(*, uow: UowFactory, secret: str, now: datetime) -> tuple[User, str] | None:
    """The user and CSRF token of a live session; None when unknown, expired or the user is deactivated.

    Expiry slides: each use pushes it ``ttl`` (as given at start) past now, never past SESSION_MAX_AGE.
    """
    session_id = secret_hash(secret)
    with uow() as u:
        found = u.accounts.session(session_id)
        if found is None:
            return None
        user = u.accounts.user_by_id(found.user_id)
        hard_end = found.created_at + SESSION_MAX_AGE
        if found.expires_at <= now or hard_end <= now or user is None or not user.active:
            u.accounts.delete_session(session_id)
            u.commit()
            return None
        if now - found.last_seen_at >= TOUCH_EVERY:
            ttl = found.expires_at - found.last_seen_at
            u.accounts.touch_session(session_id, now=now, expires_at=min(now + ttl, hard_end))
            u.commit()
    return user, found.csrf_token


def end_session(*, uow: UowFactory, secret: str, now: datetime, client: str | None = None) -> None:
    """Sign out: the session is gone whatever state it was in."""
    session_id = secret_hash(secret)
    with uow() as u:
        found = u.accounts.session(session_id)
        if found is None:
            return
        user = u.accounts.user_by_id(found.user_id)
        u.accounts.delete_session(session_id)
        if user is not None:
            u.accounts.audit(
                actor=user.actor(), action="sign_out", target=_target(user), client=client, now=now
            )
        u.commit()


def purge_expired_sessions(*, uow: UowFactory, now: datetime) -> int:
    """Delete sessions past their expiry (a periodic job); returns how many."""
    with uow() as u:
        count = u.accounts.delete_expired_sessions(now)
        u.commit()
    return count


# ------------------------------------------------------------------------------------ machine tokens
def issue_token(
    *,
    uow: UowFactory,
    user: User,
    name: str,
    now: datetime,
    ttl: timedelta | None,
    client: str | None = None,
) -> str:
    """A bearer token acting as ``user`` (None ttl: until revoked). Shown once; only its hash is kept."""
    name = check_name(name)
    if not user.active:
        raise AccountDisabled()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow() as u:
        u.accounts.add_token(
            token_hash=secret_hash(token),
            user_id=user.id,
            name=name,
            now=now,
            expires_at=now + ttl if ttl is not None else None,
        )
        u.accounts.audit(
            actor=user.actor(),
            action="token.issue",
            target=_target(user),
            detail={"name": name},
            client=client,
            now=now,
        )
        u.commit()
    return token


def resolve_token(*, uow: UowFactory, token: str, now: datetime) -> User | None:
    """The user a bearer token acts as; None when unknown, expired, revoked or the user is deactivated."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with uow() as u:
        found = u.accounts.token(secret_hash(token))
        if found is None or found.revoked_at is not None:
            return None
        if found.expires_at is not None and found.expires_at <= now:
            return None
        user = u.accounts.user_by_id(found.user_id)
    return user if user is not None and user.active else None


def revoke_token(
    *, uow: UowFactory, token: str, now: datetime, actor: Actor | None = None, client: str | None = None
) -> bool:
    """Revoke a bearer token (by its owner, when ``actor`` is None); False when it was unknown or revoked."""
    with uow() as u:
        found = u.accounts.token(secret_hash(token))
        if found is None or not u.accounts.revoke_token(secret_hash(token), now):
            return False
        owner = u.accounts.user_by_id(found.user_id)
        who = actor or (owner.actor() if owner is not None else Actor.system())
        target = _target(owner) if owner is not None else f"user#{found.user_id}"
        u.accounts.audit(
            actor=who,
            action="token.revoke",
            target=target,
            detail={"name": found.name},
            client=client,
            now=now,
        )
        u.commit()
    return True


# ------------------------------------------------------------------------------------------ API keys
def create_api_key(
    *, uow: UowFactory, actor: Actor, name: str, now: datetime, client: str | None = None
) -> str:
    """A new API key for a machine client (administrators only). Shown once; only its hash is kept."""
    _require_admin(actor)
    name = check_name(name)
    with uow() as u:
        while True:  # the shown prefix names the key, so it must be unique (a clash is ~1 in 2**48)
            key = API_KEY_PREFIX + secrets.token_urlsafe(32)
            if not u.accounts.prefix_taken(key[:API_KEY_SHOWN]):
                break
        stored = u.accounts.add_api_key(
            name=name, prefix=key[:API_KEY_SHOWN], key_hash=secret_hash(key), now=now
        )
        u.accounts.audit(
            actor=actor,
            action="api_key.create",
            target=f"api_key:{stored.prefix}",
            detail={"name": name},
            client=client,
            now=now,
        )
        u.commit()
    return key


def revoke_api_key(
    *, uow: UowFactory, actor: Actor, key_or_prefix: str, now: datetime, client: str | None = None
) -> ApiKey:
    """Revoke an API key named by its listed prefix or given whole (administrators only)."""
    _require_admin(actor)
    given = key_or_prefix.strip()
    with uow() as u:
        found = u.accounts.api_key_by_prefix(given) or u.accounts.api_key_by_hash(secret_hash(given))
        if found is None:
            raise UnknownApiKey(key=given[:API_KEY_SHOWN])  # never echo a whole secret
        if found.revoked_at is None:
            u.accounts.revoke_api_key(found.id, now)
            u.accounts.audit(
                actor=actor,
                action="api_key.revoke",
                target=f"api_key:{found.prefix}",
                detail={"name": found.name},
                client=client,
                now=now,
            )
            u.commit()
        revoked = u.accounts.api_key_by_prefix(found.prefix)
    assert revoked is not None
    return revoked


def list_api_keys(*, uow: UowFactory) -> list[ApiKey]:
    """Every API key, revoked ones included, oldest first (prefixes only, never the keys)."""
    with uow() as u:
        return u.accounts.api_keys()


def verify_api_key(*, uow: UowFactory, key: str, now: datetime) -> ApiKey | None:
    """The active API key ``key`` is, noting when it was last used; None when unknown or revoked."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    with uow() as u:
        found = u.accounts.api_key_by_hash(secret_hash(key))
        if found is None or found.revoked_at is not None:
            return None
        if found.last_used_at is None or now - found.last_used_at >= TOUCH_EVERY:
            u.accounts.touch_api_key(found.id, now)
            u.commit()
    return found


# ---------------------------------------------------------------------------------------------- demo
def ensure_demo_accounts(
    *,
    uow: UowFactory,
    people: Sequence[WorkerSpec],
    catalogue: Catalogue,
    now: datetime,
    passwords: Passwords | None = None,
) -> list[str]:
    """Create the demo district's accounts (one per role) that are missing; returns the new user names."""
    hasher = passwords or default_passwords()
    wanted = demo_accounts(people, catalogue)
    with uow() as u:
        missing = [(spec, pw) for spec, pw in wanted if u.accounts.user_by_username(spec.username) is None]
    hashed = [(check_spec(spec), hasher.hash(pw)) for spec, pw in missing]
    created = []
    with uow() as u:
        for spec, password_hash in hashed:
            if u.accounts.user_by_username(spec.username) is None:
                created.append(_add_user(u, Actor.system(), spec, password_hash, now, None).username)
        u.commit()
    return created


# ------------------------------------------------------------------------------------------- helpers
def _require_admin(actor: Actor) -> None:
    if actor.role not in ACCOUNT_ADMINS:
        raise NotAllowed(action=N_("manage accounts and API keys"))


def _user(u: UnitOfWork, username: str) -> User:
    user = u.accounts.user_by_username(username)
    if user is None:
        raise UnknownUser(username=username)
    return user


def _target(user: User) -> str:
    return f"user:{user.username}"


def _add_user(
    u: UnitOfWork, actor: Actor, spec: UserSpec, password_hash: str, now: datetime, client: str | None
) -> User:
    if u.accounts.user_by_username(spec.username) is not None:
        raise UsernameTaken(username=spec.username)
    if spec.worker_code is not None and not u.reference.worker_exists(spec.worker_code):
        raise UnknownWorker(code=spec.worker_code)
    if spec.org_code is not None and not u.reference.organisation_exists(spec.org_code):
        raise UnknownOrganisation(code=spec.org_code)
    if spec.role is Role.GRID_WORKER and not spec.area_codes and spec.worker_code is not None:
        # A grid worker's scope defaults to the grids the worker serves.
        spec = replace(spec, area_codes=u.accounts.grids_of_worker(spec.worker_code))
    user = u.accounts.add_user(spec, password_hash, now)
    u.accounts.audit(
        actor=actor,
        action="user.create",
        target=_target(user),
        detail={
            "role": user.role.value,
            "worker_code": user.worker_code,
            "org_code": user.org_code,
            "area_codes": sorted(user.area_codes),
        },
        client=client,
        now=now,
    )
    return user
