"""API keys for machine clients: created and revoked by administrators, verified on each request; audited.

A key is handed out once and stored only as a sha256 digest (``civicgrid.services.sign_in.secret_hash``);
its first characters stay readable, to name it in lists.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.accounts import ApiKey, ApiKeyNameTaken, UnknownApiKey, check_name
from civicgrid.domain.roles import Actor
from civicgrid.services.accounts import require_admin
from civicgrid.services.sign_in import TOUCH_EVERY, secret_hash

UowFactory = Callable[[], UnitOfWork]

API_KEY_PREFIX = "cgk_"
API_KEY_SHOWN = len(API_KEY_PREFIX) + 8  # 'cgk_' and 8 random characters name a key in lists


def create_api_key(
    *, uow: UowFactory, actor: Actor, name: str, now: datetime, client: str | None = None
) -> str:
    """A new API key for a machine client (administrators only). Shown once; only its hash is kept.

    Refused (``ApiKeyNameTaken``) while an active key has the same name."""
    require_admin(actor)
    name = check_name(name)
    with uow() as u:
        if any(k.active and k.name == name for k in u.accounts.api_keys()):
            raise ApiKeyNameTaken(name=name)
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
    require_admin(actor)
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
