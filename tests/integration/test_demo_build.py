"""The demo district is built whole: map, people, history, and a smart-dispatch model learnt from it."""

from __future__ import annotations

from datetime import UTC, datetime

from civicgrid.bootstrap import bootstrap
from civicgrid.demo.build import DemoSpec, build_demo, existing_demo
from civicgrid.services.dispatch import ModelCache, current_classifier

END = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_the_demo_learns_its_categories_from_its_own_history(db_url: str) -> None:
    app = bootstrap(database_url=db_url, create=True, clock=lambda: END)
    try:
        steps: list[str] = []
        counts = build_demo(app, DemoSpec(seed=3, cases=1500), lambda step, *_: steps.append(step), end=END)
        assert counts["cases"] == 1500
        assert counts["model"] == 1
        assert steps.index("model") > steps.index("cases")
        assert existing_demo(app) == DemoSpec(seed=3, cases=1500)
        model = current_classifier(app.reader, cache=ModelCache())
        assert model is not None
        with app.reader() as u:
            known = {c.code for c in u.reference.catalogue().categories}
        top = model.predict_top(["小区门口的井盖丢了，晚上很危险"], k=3)[0]
        assert {code for code, _ in top} <= known
    finally:
        app.close()


def test_a_demo_without_history_has_no_model(db_url: str) -> None:
    app = bootstrap(database_url=db_url, create=True, clock=lambda: END)
    try:
        counts = build_demo(app, DemoSpec(seed=3, cases=0), lambda *_: None, end=END)
        assert counts["model"] == 0
        assert current_classifier(app.reader, cache=ModelCache()) is None
    finally:
        app.close()
