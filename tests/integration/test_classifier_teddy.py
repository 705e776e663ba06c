"""Protocols A and B on the Teddy Cup 2020 evaluation set, when that folder sits beside the repository.

Evaluation only: the data is read in place, never copied into the repo, never used for a shipped model.
Scores only: the speed bars (training time, messages/s) are measured by ``civicgrid dispatch evaluate``
and reported in the README, not asserted here (a parallel test run shares the cores).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold

from civicgrid.adapters.classifier_eval import (
    PROTOCOL_A_HP,
    PROTOCOL_B_HP,
    evaluate_split,
    read_labelled_csv,
)

# Beside the repository by default; TEDDY2020_DIR points elsewhere (e.g. from a git worktree).
TEDDY = Path(os.environ.get("TEDDY2020_DIR", Path(__file__).parents[3] / "shared" / "data" / "teddy2020"))
# Measured 0.9031 macro-F1 (train on raw_train.csv, score raw_test.csv); allow 0.01 for library drift.
MACRO_F1_FLOOR = 0.893
# Protocol B's first fold alone (train on 7,368, score 1,842; the full 5-fold figure is in the README):
# measured 0.9377 (0.9267 without the subject-line block, 0.9173 with character 1-2 grams and a plain SVM);
# allow 0.01 for library drift.
FOLD_0_FLOOR = 0.927

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
    assert result["top3_accuracy"] >= 0.97, result


def test_protocol_b_first_fold_holds() -> None:
    texts, labels = read_labelled_csv(TEDDY / "segmented_all.csv")
    y = np.asarray(labels)
    train, test = next(iter(StratifiedKFold(5, shuffle=True, random_state=0).split(texts, y)))
    result = evaluate_split(
        [texts[i] for i in train],
        list(y[train]),
        [texts[i] for i in test],
        list(y[test]),
        **PROTOCOL_B_HP,
    )
    assert result["macro_f1"] >= FOLD_0_FLOOR, result
