"""``civicgrid apikey`` and ``civicgrid user``: machine keys and accounts, run by an administrator.

The command line acts as the system (named ``cli:<login>`` in the audit log): whoever can run it on the
server can read the database anyway.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from civicgrid.domain.accounts import ROLE_LABELS, ApiKey, User, UserSpec, parse_role
from civicgrid.entrypoints.cli.common import (
    DbOption,
    JsonOption,
    console,
    err_console,
    friendly,
    open_app,
    print_json,
    t,
)
from civicgrid.services import accounts, api_keys

apikey_app = typer.Typer(help="API keys for machine clients (Open311, integrations).", no_args_is_help=True)
user_app = typer.Typer(help="User accounts and their roles.", no_args_is_help=True)

PasswordOption = Annotated[
    str | None,
    typer.Option(
        "--password", help="The password (asked for, hidden, when left out; avoid it in shell history)."
    ),
]


@apikey_app.command("create")
@friendly
def apikey_create(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key, e.g. 'wechat-miniapp'.")],
    db: DbOption = None,
) -> None:
    """Create an API key and print it once: only its hash is kept."""
    with open_app(db) as app:
        key = api_keys.create_api_key(
            uow=app.uow, actor=accounts.command_line_actor(), name=name, now=app.clock()
        )
    print(key)  # alone on stdout, so a script can capture it
    err_console.print(t("Store this key now: it cannot be shown again."))


@apikey_app.command("revoke")
@friendly
def apikey_revoke(
    key_or_prefix: Annotated[
        str, typer.Argument(help="The key's prefix as listed (cgk_xxxxxxxx) or the whole key.")
    ],
    db: DbOption = None,
) -> None:
    """Revoke an API key; clients using it are refused from now on."""
    with open_app(db) as app:
        key = api_keys.revoke_api_key(
            uow=app.uow, actor=accounts.command_line_actor(), key_or_prefix=key_or_prefix, now=app.clock()
        )
    console.print(t("API key {prefix} ({name}) is revoked.", prefix=key.prefix, name=key.name))


@apikey_app.command("list")
@friendly
def apikey_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List API keys (prefixes only), revoked ones included."""
    with open_app(db) as app:
        keys = api_keys.list_api_keys(uow=app.uow)
    if as_json:
        print_json([_key_json(k) for k in keys])
        return
    table = Table(t("Prefix"), t("Name"), t("Created"), t("Last used"), t("Revoked"))
    for k in keys:
        table.add_row(k.prefix, k.name, _when(k.created_at), _when(k.last_used_at), _when(k.revoked_at))
    console.print(table)


@user_app.command("create")
@friendly
def user_create(
    username: Annotated[str, typer.Option("--username", help="Sign-in name: a-z, 0-9, '.', '_', '-'.")],
    role: Annotated[
        str,
        typer.Option("--role", help="resident, grid_worker, handler, operator, supervisor, leader or admin."),
    ],
    password: PasswordOption = None,
    name: Annotated[str, typer.Option("--name", help="Name shown to others (default: the user name).")] = "",
    worker_code: Annotated[
        str | None, typer.Option("--worker-code", help="Grid workers: their worker code, e.g. F0001.")
    ] = None,
    org_code: Annotated[
        str | None, typer.Option("--org-code", help="Handlers: their organisation code, e.g. chengguan.")
    ] = None,
    area: Annotated[
        list[str] | None, typer.Option("--area", help="An area the account covers (repeatable).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Create a user account with a role."""
    spec = UserSpec(
        username=username,
        role=parse_role(role),
        display_name=name,
        worker_code=worker_code,
        org_code=org_code,
        area_codes=frozenset(area or ()),
    )
    secret = password if password is not None else _ask_password()
    with open_app(db) as app:
        user = accounts.create_user(
            uow=app.uow, actor=accounts.command_line_actor(), spec=spec, password=secret, now=app.clock()
        )
    console.print(
        t(
            "User {username} created with the role {role}.",
            username=user.username,
            role=ROLE_LABELS[user.role],
        )
    )


@user_app.command("list")
@friendly
def user_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List user accounts, deactivated ones included."""
    with open_app(db) as app:
        users = accounts.list_users(uow=app.uow)
    if as_json:
        print_json([_user_json(u) for u in users])
        return
    table = Table(t("User name"), t("Name"), t("Role"), t("Scope"), t("Active"))
    for u in users:
        scope = " ".join(filter(None, [u.worker_code, u.org_code, *sorted(u.area_codes)]))
        table.add_row(u.username, u.display_name, t(ROLE_LABELS[u.role]), scope, "✓" if u.active else "✗")
    console.print(table)


@user_app.command("passwd")
@friendly
def user_passwd(
    username: Annotated[str, typer.Argument(help="Whose password to set.")],
    password: PasswordOption = None,
    db: DbOption = None,
) -> None:
    """Set a user's password; the user's sessions end."""
    secret = password if password is not None else _ask_password()
    with open_app(db) as app:
        accounts.set_password(
            uow=app.uow,
            actor=accounts.command_line_actor(),
            username=username,
            password=secret,
            now=app.clock(),
        )
    console.print(t("Password of {username} changed.", username=username))


@user_app.command("deactivate")
@friendly
def user_deactivate(
    username: Annotated[str, typer.Argument(help="Whose account to deactivate.")],
    db: DbOption = None,
) -> None:
    """Stop a user from signing in; their sessions end and their tokens are revoked."""
    with open_app(db) as app:
        user = accounts.deactivate(
            uow=app.uow, actor=accounts.command_line_actor(), username=username, now=app.clock()
        )
    console.print(t("User {username} is deactivated.", username=user.username))


def _ask_password() -> str:
    return str(typer.prompt(t("Password"), hide_input=True, confirmation_prompt=True))


def _when(moment: object) -> str:
    return str(moment)[:19] if moment is not None else ""


def _key_json(k: ApiKey) -> dict[str, object]:
    return {
        "id": k.id,
        "name": k.name,
        "prefix": k.prefix,
        "active": k.active,
        "created_at": k.created_at.isoformat(),
        "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
        "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
    }


def _user_json(u: User) -> dict[str, object]:
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role.value,
        "worker_code": u.worker_code,
        "org_code": u.org_code,
        "area_codes": sorted(u.area_codes),
        "active": u.active,
    }
