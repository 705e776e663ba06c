"""The tables behind each export: the same rows, scope and masks as the lists they come from."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from civicgrid.analytics.admin_queries import AuditFilters, WorkerFilters, audit_rows, worker_rows
from civicgrid.analytics.case_labels import every_label
from civicgrid.analytics.case_queries import CaseFilters, case_rows, row_reporter
from civicgrid.analytics.exports import Column, Table, check_size
from civicgrid.domain.access import CaseScope
from civicgrid.domain.accounts import ApiKey, User
from civicgrid.domain.case_types import ASSIGNED_STATUSES
from civicgrid.domain.roles import Actor
from civicgrid.i18n import N_

CASE_COLUMNS = (
    Column("number", N_("Case number")),
    Column("status", N_("Status"), "label"),
    Column("source", N_("Source"), "label"),
    Column("category", N_("Category")),
    Column("category_code", N_("Category code")),
    Column("urgency", N_("Urgency"), "label"),
    Column("description", N_("Description")),
    Column("address", N_("Address")),
    Column("street", N_("Street")),
    Column("community", N_("Community")),
    Column("grid", N_("Grid")),
    Column("microgrid", N_("Micro-grid")),
    Column("microgrid_code", N_("Micro-grid code")),
    Column("org", N_("Department")),
    Column("assignee", N_("Assignee")),
    Column("assignee_code", N_("Assignee code")),
    Column("reporter_name", N_("Reporter")),
    Column("reporter_phone", N_("Phone")),
    Column("submitted_at", N_("Submitted"), "time"),
    Column("due", N_("Due"), "time"),
    Column("closed_at", N_("Closed"), "time"),
    Column("overdue", N_("Overdue"), "number"),
    Column("warning", N_("Warning"), "label"),
    Column("satisfaction", N_("Satisfaction"), "label"),
)


def cases_table(
    conn: Connection, *, scope: CaseScope, filters: CaseFilters, actor: Actor, now: datetime, locale: str
) -> Table:
    """The cases of a list, personal data masked exactly as the list masks it for ``actor``; names in
    ``locale`` beside the codes a spreadsheet filters by (category, micro-grid, assignee)."""
    total, rows = case_rows(conn, scope=scope, filters=filters, now=now)
    check_size(total)
    running = {s.value for s in ASSIGNED_STATUSES}
    names = every_label(conn, locale=locale)

    def masked() -> Iterator[dict[str, Any]]:
        for row in rows:
            reporter = row_reporter(row, actor)
            row["reporter_name"], row["reporter_phone"] = reporter.name, reporter.phone
            row["overdue"] = bool(row["status"] in running and row["due"] is not None and row["due"] < now)
            row["category"] = names.category(row["category_code"])
            for level in ("street", "community", "grid", "microgrid"):
                row[level] = names.area(row[f"{level}_code"])
            row["org"] = names.organisation(row["org_code"])
            row["assignee"] = names.worker(row["assignee_code"])
            row["warning"] = f"warning_{row['warning']}" if row["warning"] in ("yellow", "red") else ""
            yield row

    return Table("cases", CASE_COLUMNS, masked(), total)


FIGURE_COLUMNS = (
    Column("key", N_("Code")),
    Column("name", N_("Name")),
    Column("submitted", N_("Cases submitted"), "number"),
    Column("registered", N_("Registered"), "number"),
    Column("closed", N_("Cases closed"), "number"),
    Column("closed_on_time", N_("Closed on time"), "number"),
    Column("open", N_("Open cases"), "number"),
    Column("overdue", N_("Overdue"), "number"),
    Column("valid_callbacks", N_("Valid callbacks"), "number"),
    Column("response", N_("Response rate"), "rate"),
    Column("resolution", N_("Resolution rate"), "rate"),
    Column("satisfaction", N_("Satisfaction rate"), "rate"),
    Column("closure", N_("Closure rate"), "rate"),
    Column("on_time", N_("On-time closure rate"), "rate"),
    Column("rework", N_("Rework rate"), "rate"),
    Column("score", N_("Score"), "number"),
    Column("grade", N_("Grade")),
    Column("accept_median", N_("Hours to accept (median)"), "number"),
    Column("close_median", N_("Hours to close (median)"), "number"),
)


def figures_table(groups: list[dict[str, Any]]) -> Table:
    """The figures per group (as ``analytics.figures.figures`` gives them), one row a group."""
    rows = [
        {"key": g["key"], "name": g["name"], **g["counts"], **g["rates"], **(g.get("hours") or {})}
        for g in groups
    ]
    return Table("figures", FIGURE_COLUMNS, rows, len(rows))


AUDIT_COLUMNS = (
    Column("at", N_("When"), "time"),
    Column("actor_name", N_("Who")),
    Column("actor_role", N_("Role"), "label"),
    Column("action_name", N_("Action")),
    Column("action", N_("Action code")),
    Column("target", N_("Target")),
    Column("detail", N_("Detail")),
    Column("client", N_("Address")),
)


def audit_table(
    conn: Connection,
    filters: AuditFilters,
    *,
    name_action: Callable[[str], str] = str,
    say_detail: Callable[[Any], str] = str,
) -> Table:
    """The audit log lines that match, newest first; each action named and its detail put in words by the
    page's own functions (the audit page's, so the file reads as the page does)."""
    total, rows = audit_rows(conn, filters)
    check_size(total)

    def said() -> Iterator[dict[str, Any]]:
        for row in rows:
            row["action_name"] = name_action(row["action"])
            row["detail"] = say_detail(row["detail"]) if row["detail"] else ""
            yield row

    return Table("audit", AUDIT_COLUMNS, said(), total)


WORKER_COLUMNS = (
    Column("code", N_("Code")),
    Column("name", N_("Name")),
    Column("phone", N_("Phone")),
    Column("kind", N_("Kind"), "label"),
    Column("org_code", N_("Department")),
    Column("grids", N_("Grids")),
    Column("active", N_("Active"), "number"),
)


def workers_table(conn: Connection, filters: WorkerFilters) -> Table:
    """The worker roster (phones masked by the roster query: an export is not a phone book)."""
    total, rows = worker_rows(conn, filters)
    for r in rows:
        r["grids"] = " ".join(r["grid_codes"])
    return Table("workers", WORKER_COLUMNS, rows, total)


ORGANISATION_COLUMNS = (
    Column("code", N_("Code")),
    Column("kind", N_("Kind"), "label"),
    Column("name_zh", N_("Name (Chinese)")),
    Column("short_name_zh", N_("Short name (Chinese)")),
    Column("name_en", N_("Name (English)")),
    Column("utility", N_("Utility")),
    Column("active", N_("Active"), "number"),
)


def organisations_table(rows: list[dict[str, Any]]) -> Table:
    return Table("organisations", ORGANISATION_COLUMNS, rows, len(rows))


CATEGORY_COLUMNS = (
    Column("code", N_("Code")),
    Column("major_name_zh", N_("Major class")),
    Column("name_zh", N_("Name (Chinese)")),
    Column("name_en", N_("Name (English)")),
    Column("department", N_("Department")),
    Column("urgency", N_("Urgency"), "label"),
    Column("limit_normal", N_("Time limit (normal)")),
    Column("limit_urgent", N_("Time limit (urgent)")),
    Column("limit_emergency", N_("Time limit (emergency)")),
    Column("anonymous_allowed", N_("Anonymous allowed"), "number"),
    Column("active", N_("Active"), "number"),
)


def categories_table(rows: list[dict[str, Any]]) -> Table:
    """Categories with their time limit per urgency (``services.reference.categories`` documents)."""
    flat = [{**r, **{f"limit_{u}": v for u, v in r.get("time_limits", {}).items()}} for r in rows]
    return Table("categories", CATEGORY_COLUMNS, flat, len(flat))


USER_COLUMNS = (
    Column("username", N_("User name")),
    Column("display_name", N_("Name")),
    Column("role", N_("Role"), "label"),
    Column("worker_code", N_("Worker")),
    Column("org_code", N_("Department")),
    Column("areas", N_("Areas")),
    Column("active", N_("Active"), "number"),
)


def users_table(users: list[User]) -> Table:
    rows = [
        {
            "username": u.username,
            "display_name": u.display_name,
            "role": u.role.value,
            "worker_code": u.worker_code,
            "org_code": u.org_code,
            "areas": " ".join(sorted(u.area_codes)),
            "active": u.active,
        }
        for u in users
    ]
    return Table("users", USER_COLUMNS, rows, len(rows))


APIKEY_COLUMNS = (
    Column("name", N_("Name")),
    Column("prefix", N_("Key prefix")),
    Column("created_at", N_("Created"), "time"),
    Column("last_used_at", N_("Last used"), "time"),
    Column("revoked_at", N_("Revoked"), "time"),
)


def apikeys_table(keys: list[ApiKey]) -> Table:
    """API keys by name and prefix: the secret itself is never stored, so never exported."""
    rows = [
        {
            "name": k.name,
            "prefix": k.prefix,
            "created_at": k.created_at,
            "last_used_at": k.last_used_at,
            "revoked_at": k.revoked_at,
        }
        for k in keys
    ]
    return Table("apikeys", APIKEY_COLUMNS, rows, len(rows))
