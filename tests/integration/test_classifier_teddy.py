"""Protocol A on the Teddy Cup 2020 evaluation set, when that folder sits beside the repository.

Evaluation only: the data is read in place, never copied into the repo, never used for a shipped model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from civicgrid.adapters.classifier_eval import PROTOCOL_A_HP, evaluate_split, read_labelled_csv

TEDDY = Path(__file__).parents[3] / "shared" / "data" / "teddy2020"
# Measured 0.9031 macro-F1 (train on raw_train.csv, score raw_test.csv); allow 0.01 for library drift.
MACRO_F1_FLOOR = 0.893

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (TEDDY / "raw_train.csv").exists(), reason=f"Teddy 2020 evaluation data not found at {TEDDY}"
    ),
]


def test_protocol_a_macro_f1_holds() -> None:
    train_x, train_y = read_labelled_csv(TEDDY / "raw_train.csv")
    test_x, test_y = read_labelled_csv(TEDDY / "raw_test.csv")
    result = evaluate_split(train_x, train_y, test_x, test_y, **PROTOCOL_A_HP)
    assert result["n_train"] == 1842 and result["n_test"] == 921
    assert result["macro_f1"] >= MACRO_F1_FLOOR, result
    assert result["train_s"] < 60, result
    assert result["top3_accuracy"] >= 0.97, result
