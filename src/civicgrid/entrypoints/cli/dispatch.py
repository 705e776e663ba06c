"""``civicgrid dispatch``: train and evaluate the classifier, list models, edit routing rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from civicgrid.entrypoints.cli import dispatch_control
from civicgrid.entrypoints.cli.common import (
    DbOption,
    JsonOption,
    console,
    fail,
    friendly,
    open_app,
    print_json,
    t,
)
from civicgrid.services import dispatch as dispatch_services
from civicgrid.services import overrides
from civicgrid.services.accounts import command_line_actor

dispatch_app = typer.Typer(
    help="Smart dispatch: train and evaluate the classifier, routing rules.", no_args_is_help=True
)
rules_app = typer.Typer(help="Routing rules: category x area -> organisation.", no_args_is_help=True)
dispatch_app.add_typer(rules_app, name="rules")


def _file_option(name: str, help_text: str) -> Any:
    return typer.Option(name, dir_okay=False, help=help_text)


CONTRACT = ("macro_f1", "per_class", "train_s", "msgs_per_s")
_CJK_SPACE_CJK = re.compile(r"[\u4e00-\u9fff] [\u4e00-\u9fff]")


@dispatch_app.command("train")
@friendly
def train(
    db: DbOption = None,
    min_cases: Annotated[int, typer.Option("--min-cases", min=10, help="Refuse with fewer cases.")] = 200,
) -> None:
    """Learn categories from finished cases; store a new model version, active if at least as good."""
    with open_app(db) as app:
        info = dispatch_services.train(uow=app.uow, now=app.clock(), min_cases=min_cases)
    m = info.metrics
    params = {"version": info.version, "n": info.n_train, "f1": m["macro_f1"], "accuracy": m["accuracy"]}
    console.print(
        t("Model version {version} trained on {n} cases: macro-F1 {f1}, accuracy {accuracy}.", **params)
    )
    if info.active:
        console.print(t("It is now the active model."))
    else:
        console.print(t("Not activated: the active model does better on cases it never saw."))


@dispatch_app.command("evaluate")
@friendly
def evaluate(
    db: DbOption = None,
    as_json: JsonOption = False,
    train_file: Annotated[Path | None, _file_option("--train", "Protocol A: train on this CSV.")] = None,
    test_file: Annotated[Path | None, _file_option("--test", "Protocol A: score on this CSV.")] = None,
    cv: Annotated[int | None, typer.Option("--cv", min=2, max=20, help="Protocol B: k-fold CV.")] = None,
    data_file: Annotated[
        Path | None, _file_option("--data", "Protocol B: the CSV to cross-validate.")
    ] = None,
) -> None:
    """Report macro-F1 on held-out history, or on CSV files (--train/--test, or --cv K --data)."""
    if train_file or test_file:
        if not (train_file and test_file) or cv or data_file:
            fail(t("Give --train and --test together, and not with --cv or --data."))
        train_x, train_y = _read(train_file)
        test_x, test_y = _read(test_file)
        from civicgrid.adapters.classifier_eval import evaluate_split

        result = evaluate_split(train_x, train_y, test_x, test_y, **_hyperparams(train_x))
        return _show_contract(result, as_json)
    if cv or data_file:
        if not (cv and data_file):
            fail(t("Give --cv and --data together."))
        x, y = _read(data_file)
        from civicgrid.adapters.classifier_eval import evaluate_cv

        return _show_contract(evaluate_cv(x, y, folds=cv, seed=0, **_hyperparams(x)), as_json)
    with open_app(db) as app:
        result = dispatch_services.evaluate_history(uow=app.reader, now=app.clock())
    if as_json:
        print_json(result)
        return
    table = Table(show_header=False)
    for key in ("n_train", "n_test", "macro_f1", "accuracy", "top3_accuracy", "department_accuracy"):
        table.add_row(key, str(result[key]))
    table.add_row("train_s", str(result["train_s"]))
    table.add_row("msgs_per_s", str(result["msgs_per_s"]))
    console.print(table)


def _read(path: Path | None) -> tuple[list[str], list[str]]:
    assert path is not None
    try:
        from civicgrid.adapters.classifier_eval import read_labelled_csv

        return read_labelled_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:
        fail(t("Cannot read {path}: {error}", path=str(path), error=str(exc)))


def _hyperparams(texts: list[str]) -> dict[str, Any]:
    # Word-segmented text (protocol B's file) gets word n-grams too; raw text character n-grams only.
    segmented = sum(1 for x in texts if _CJK_SPACE_CJK.search(x)) > len(texts) / 2
    from civicgrid.adapters.classifier_eval import PROTOCOL_A_HP, PROTOCOL_B_HP

    return PROTOCOL_B_HP if segmented else PROTOCOL_A_HP


def _show_contract(result: dict[str, Any], as_json: bool) -> None:
    out = {key: result[key] for key in CONTRACT} | {k: v for k, v in result.items() if k not in CONTRACT}
    if as_json:
        print_json(out)
        return
    table = Table(show_header=False)
    for key in ("macro_f1", "accuracy", "train_s", "msgs_per_s", "n_train", "n_test"):
        table.add_row(key, f"{out[key]:.4g}" if isinstance(out[key], float) else str(out[key]))
    for label, f1 in out["per_class"].items():
        table.add_row(f"F1 · {label}", f"{f1:.4f}")
    console.print(table)


@dispatch_app.command("models")
@friendly
def list_models(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Stored model versions with their held-out evaluation; the active one is marked."""
    with open_app(db) as app:
        found = dispatch_services.models(uow=app.reader)
        taken = overrides.acceptance_by_model(uow=app.reader)
    rows = [
        {
            "version": m.version,
            "kind": m.kind,
            "created_at": m.created_at.isoformat(),
            "n_train": m.n_train,
            "macro_f1": m.metrics.get("macro_f1"),
            "accuracy": m.metrics.get("accuracy"),
            "active": m.active,
            # How often people took this version's suggestions as they were (None: none decided yet).
            "suggestions": taken.get(m.version, {}).get("suggested", 0),
            "acceptance_rate": taken.get(m.version, {}).get("acceptance_rate"),
        }
        for m in found
    ]
    if as_json:
        print_json(rows)
        return
    table = Table(*rows[0].keys()) if rows else Table()
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)


@rules_app.command("list")
@friendly
def rules_list(
    db: DbOption = None,
    as_json: JsonOption = False,
    category: Annotated[str | None, typer.Option("--category", help="Only this category.")] = None,
) -> None:
    """Routing rules: category, area, organisation."""
    with open_app(db) as app:
        found = dispatch_services.list_rules(uow=app.reader, category_code=category)
    rows = [
        {
            "id": r.id,
            "category": r.category_code,
            "area": r.area_code,
            "org": r.org_code,
            "created_at": r.created_at.isoformat() if r.created_at else None,
            "created_by": r.created_by,
        }
        for r in found
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "category", "area", "org", "created_by")
    for r in found:
        table.add_row(str(r.id), r.category_code, r.area_code, r.org_code, r.created_by)
    console.print(table)


@rules_app.command("add")
@friendly
def rules_add(
    category: Annotated[str, typer.Argument(help="Category code (小类), e.g. C0101.")],
    area: Annotated[str, typer.Argument(help="Area code of any level: street, community, grid, micro-grid.")],
    org: Annotated[str, typer.Argument(help="Organisation code, e.g. chengguan.")],
    db: DbOption = None,
) -> None:
    """Send a category in an area to an organisation (the most specific area's rule wins)."""
    with open_app(db) as app:
        rule = dispatch_services.add_rule(
            uow=app.uow,
            actor=command_line_actor(),
            category_code=category,
            area_code=area,
            org_code=org,
            now=app.clock(),
        )
    console.print(
        t(
            "Rule {id} added: {category} in {area} goes to {org}.",
            id=rule.id,
            category=category,
            area=area,
            org=org,
        )
    )


@rules_app.command("remove")
@friendly
def rules_remove(
    rule_id: Annotated[int, typer.Argument(help="The rule's id (see 'dispatch rules list').")],
    db: DbOption = None,
) -> None:
    """Delete a routing rule."""
    with open_app(db) as app:
        dispatch_services.remove_rule(
            uow=app.uow, actor=command_line_actor(), rule_id=rule_id, now=app.clock()
        )
    console.print(t("Rule {id} removed.", id=rule_id))


dispatch_control.register(dispatch_app)
