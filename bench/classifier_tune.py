"""How the classifier's evaluation settings were chosen: inner cross-validation on training data only.

Never looks at a test split. Protocol A candidates are scored by 5-fold stratified CV inside
raw_train.csv (raw_test.csv is not read); protocol B candidates by 3-fold stratified CV inside the training
part of protocol B's first outer fold (5-fold, shuffle, random_state 0), so that fold's 1,842 test messages
are never seen. Vectorizers are refitted inside every inner fold. Confidence calibration is off (it does not
change the predicted label). Prints one JSON line per candidate, then the ranking. The rule applied to it
(README, "Classifying reports"): the default changes only for a candidate that meets the speed bars and beats
it by more than inner-split noise (about 0.003); between candidates within that noise, the cheaper one.

Run (about 1 minute for A, 5-10 for B on one quiet core; --seed 1 and 2 for the spread of the inner split):
    .venv/bin/python bench/classifier_tune.py A ../shared/data/teddy2020 [--seed S] [--only NAME ...]
    .venv/bin/python bench/classifier_tune.py B ../shared/data/teddy2020 [--seed S] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from civicgrid.adapters.classifier import TextClassifier
from civicgrid.adapters.classifier_eval import read_labelled_csv

SEGMENTED: dict[str, Any] = {"pretokenized": True, "word_ngram": (1, 2)}
CANDIDATES: dict[str, dict[str, dict[str, Any]]] = {
    "A": {
        "char 1-2, C=1 (the default)": {},
        "char 1-2, C=0.3": {"C": 0.3},
        "char 1-2, C=2": {"C": 2.0},
        "char 1-2, C=5": {"C": 5.0},
        "char 1-3": {"char_ngram": (1, 3)},
        "char 1-2, NB weighting": {"nb_weight": True},
        "char 1-2 + jieba words": {"word_ngram": (1, 1)},
        "char 1-2 + lead of 25 characters at 0.5": {"lead": 25, "lead_weight": 0.5},
        "char 1-2 + lead of 40 characters at 0.3": {"lead": 40, "lead_weight": 0.3},
        "char 1-2 + lead of 40 characters at 0.5": {"lead": 40, "lead_weight": 0.5},
    },
    "B": {
        "char 1-2 + words 1-2 (previous default)": SEGMENTED | {"char_ngram": (1, 2)},
        "char 1-2 + words 1-2, NB weighting": SEGMENTED | {"char_ngram": (1, 2), "nb_weight": True},
        "char 1-3 + words 1-2": SEGMENTED | {"char_ngram": (1, 3)},
        "char 1-3 + words 1-2, NB weighting": SEGMENTED | {"char_ngram": (1, 3), "nb_weight": True},
        "char 1-4 + words 1-2, NB weighting": SEGMENTED | {"char_ngram": (1, 4), "nb_weight": True},
        "char 1-3 + words 1-3, NB weighting": SEGMENTED
        | {"char_ngram": (1, 3), "word_ngram": (1, 3), "nb_weight": True},
        "char 1-3 + words 1-2, NB weighting, min_df 3": SEGMENTED
        | {"char_ngram": (1, 3), "nb_weight": True, "min_df": 3},
        "char 1-3 + words 1-2, NB weighting, lead of 12 words at 0.5": SEGMENTED
        | {"char_ngram": (1, 3), "nb_weight": True, "lead": 12, "lead_weight": 0.5},
        "char 1-3 + words 1-2, NB weighting, lead of 12 words at 0.7": SEGMENTED
        | {"char_ngram": (1, 3), "nb_weight": True, "lead": 12, "lead_weight": 0.7},
        "char 1-3 + words 1-2, NB weighting, lead of 20 words at 0.7": SEGMENTED
        | {"char_ngram": (1, 3), "nb_weight": True, "lead": 20, "lead_weight": 0.7},
    },
}


def tuning_data(protocol: str, data_dir: Path) -> tuple[list[str], np.ndarray, int]:
    if protocol == "A":
        texts, labels = read_labelled_csv(data_dir / "raw_train.csv")
        return texts, np.asarray(labels), 5
    texts, labels = read_labelled_csv(data_dir / "segmented_all.csv")
    y = np.asarray(labels)
    train, _ = next(iter(StratifiedKFold(5, shuffle=True, random_state=0).split(texts, y)))
    return [texts[i] for i in train], y[train], 3


def inner_cv(
    texts: list[str], y: np.ndarray, folds: int, hp: dict[str, Any], seed: int = 0
) -> dict[str, float]:
    pred = np.empty(len(y), dtype=object)
    start = time.perf_counter()
    for train, held in StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, y):
        model = TextClassifier(**hp, calibration_folds=0).fit([texts[i] for i in train], y[train])
        pred[held] = model.predict([texts[i] for i in held])
    return {
        "macro_f1": round(float(f1_score(y, list(pred), average="macro")), 4),
        "seconds": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("protocol", choices=["A", "B"])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--seed", type=int, default=0, help="shuffle of the inner folds (0, 1, 2 used)")
    parser.add_argument("--only", nargs="*", help="candidate names to run (default: all)")
    args = parser.parse_args()
    texts, y, folds = tuning_data(args.protocol, args.data_dir)
    scores = {}
    for name, hp in CANDIDATES[args.protocol].items():
        if args.only and name not in args.only:
            continue
        scores[name] = inner_cv(texts, y, folds, hp, args.seed)
        print(json.dumps({"candidate": name, **scores[name]}, ensure_ascii=False), flush=True)
    ranking = sorted(scores, key=lambda n: -scores[n]["macro_f1"])
    print(json.dumps({"ranking": [[n, scores[n]["macro_f1"]] for n in ranking]}, ensure_ascii=False))


if __name__ == "__main__":
    main()
