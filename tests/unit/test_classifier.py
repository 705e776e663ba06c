"""The dispatch text classifier on small synthetic Chinese reports (no evaluation data here)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from civicgrid.adapters.classifier import FORMAT_VERSION, TextClassifier
from civicgrid.adapters.classifier_eval import evaluate_cv, evaluate_split, read_labelled_csv

TOPICS = {
    "交通运输": ["公交", "车站", "红绿灯", "出租车", "道路拥堵", "停车场"],
    "环境保护": ["噪音", "污水", "垃圾焚烧", "粉尘", "排放", "异味"],
    "教育文体": ["学校", "老师", "学生", "补课", "幼儿园", "学费"],
    "劳动和社会保障": ["工资", "社保", "拖欠", "养老金", "劳动合同", "医保"],
}
FILLER = ["小区", "居民", "反映", "希望", "尽快", "处理", "附近", "最近", "严重", "问题", "政府", "部门"]


def make_reports(n_per_class: int, seed: int, pretokenized: bool = False) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for label, words in TOPICS.items():
        for _ in range(n_per_class):
            tokens = rng.sample(words, 3) + rng.sample(FILLER, 5)
            rng.shuffle(tokens)
            texts.append((" " if pretokenized else "").join(tokens))
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def trained() -> TextClassifier:
    texts, labels = make_reports(30, seed=1)
    return TextClassifier().fit(texts, labels)


def test_classifier_learns_the_categories(trained: TextClassifier) -> None:
    texts, labels = make_reports(10, seed=2)
    predicted = trained.predict(texts)
    assert sum(p == t for p, t in zip(predicted, labels, strict=True)) / len(labels) >= 0.95


def test_labels_are_the_trained_categories(trained: TextClassifier) -> None:
    assert sorted(trained.labels) == sorted(TOPICS)


def test_top_alternatives_are_probabilities_best_first(trained: TextClassifier) -> None:
    top = trained.predict_top(["学校老师周末补课收费", "公交车站附近红绿灯坏了"], k=3)
    for row in top:
        assert len(row) == 3
        probabilities = [p for _, p in row]
        assert probabilities == sorted(probabilities, reverse=True)
        assert all(0.0 <= p <= 1.0 for p in probabilities)
        assert len({label for label, _ in row}) == 3
    assert top[0][0][0] == "教育文体"
    assert top[1][0][0] == "交通运输"


def test_probabilities_over_all_labels_sum_to_one(trained: TextClassifier) -> None:
    full = trained.predict_top(["小区附近污水排放有异味"], k=len(trained.labels))[0]
    assert sum(p for _, p in full) == pytest.approx(1.0)
    assert full[0][0] == "环境保护"


def test_prediction_agrees_with_top_choice(trained: TextClassifier) -> None:
    texts, _ = make_reports(3, seed=3)
    assert trained.predict(texts) == [row[0][0] for row in trained.predict_top(texts, k=1)]


def test_clear_cases_are_confident_and_vague_ones_are_not(trained: TextClassifier) -> None:
    clear = trained.predict_top(["拖欠工资 社保 养老金 劳动合同"], k=1)[0][0][1]
    vague = trained.predict_top(["居民反映问题希望尽快处理"], k=1)[0][0][1]
    assert clear > vague


def test_model_survives_a_round_trip_through_bytes(trained: TextClassifier) -> None:
    texts, _ = make_reports(3, seed=4)
    restored = TextClassifier.from_bytes(trained.to_bytes())
    assert restored.labels == trained.labels
    assert restored.predict_top(texts) == trained.predict_top(texts)


def test_bytes_of_another_format_version_are_refused(trained: TextClassifier) -> None:
    import pickle

    payload = pickle.loads(trained.to_bytes())
    payload["format"] = FORMAT_VERSION + 1
    with pytest.raises(ValueError, match="format"):
        TextClassifier.from_bytes(pickle.dumps(payload))


def test_bytes_that_are_not_a_model_are_refused() -> None:
    import pickle

    with pytest.raises(ValueError, match="not a serialised"):
        TextClassifier.from_bytes(pickle.dumps({"hello": 1}))


def test_unfitted_model_refuses_to_predict() -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        TextClassifier().predict(["公交"])


def test_a_single_label_cannot_be_trained() -> None:
    with pytest.raises(ValueError, match="two distinct labels"):
        TextClassifier().fit(["公交", "车站"], ["交通运输", "交通运输"])


def test_pretokenized_text_uses_words() -> None:
    texts, labels = make_reports(20, seed=5, pretokenized=True)
    model = TextClassifier(pretokenized=True, char_ngram=None, word_ngram=(1, 2)).fit(texts, labels)
    assert model.predict(["老师 补课 学费 居民 反映"]) == ["教育文体"]


def test_raw_text_can_add_jieba_words() -> None:
    texts, labels = make_reports(15, seed=6)
    model = TextClassifier(word_ngram=(1, 1)).fit(texts, labels)
    assert model.predict(["最近小区噪音和粉尘严重"]) == ["环境保护"]
    assert TextClassifier.from_bytes(model.to_bytes()).predict(["工资拖欠"]) == ["劳动和社会保障"]


def test_two_categories_work() -> None:
    texts, labels = make_reports(10, seed=7)
    keep = [i for i, label in enumerate(labels) if label in ("交通运输", "教育文体")]
    model = TextClassifier().fit([texts[i] for i in keep], [labels[i] for i in keep])
    top = model.predict_top(["学校老师"], k=3)[0]
    assert [label for label, _ in top] == ["教育文体", "交通运输"]
    assert sum(p for _, p in top) == pytest.approx(1.0)


def test_split_evaluation_reports_scores_and_speed() -> None:
    train_x, train_y = make_reports(20, seed=8)
    test_x, test_y = make_reports(5, seed=9)
    result = evaluate_split(train_x, train_y, test_x, test_y)
    assert result["macro_f1"] >= 0.9
    assert set(result["per_class"]) == set(TOPICS)
    assert result["n_train"] == 80 and result["n_test"] == 20
    assert result["train_s"] > 0 and result["msgs_per_s"] > 0


def test_cross_validation_pools_every_prediction() -> None:
    texts, labels = make_reports(10, seed=10)
    result = evaluate_cv(texts, labels, folds=5, seed=0)
    assert result["n_test"] == 40 and result["n_train"] == 32
    assert result["macro_f1"] >= 0.9


def test_labelled_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "reports.csv"
    path.write_text('text,label\n公交车站没有遮雨棚,交通运输\n"学校, 补课",教育文体\n', encoding="utf-8")
    assert read_labelled_csv(path) == (["公交车站没有遮雨棚", "学校, 补课"], ["交通运输", "教育文体"])


def test_labelled_csv_without_a_label_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reports.csv"
    path.write_text("text,category\n公交,交通运输\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"missing column.*label"):
        read_labelled_csv(path)


def test_naive_bayes_weighting_learns_and_survives_a_round_trip() -> None:
    texts, labels = make_reports(30, seed=5, pretokenized=True)
    model = TextClassifier(pretokenized=True, word_ngram=(1, 2), nb_weight=True).fit(texts, labels)
    test_texts, test_labels = make_reports(10, seed=6, pretokenized=True)
    accuracy = sum(p == t for p, t in zip(model.predict(test_texts), test_labels, strict=True)) / len(
        test_labels
    )
    assert accuracy > 0.9 and model.hyperparams["nb_weight"] is True
    again = TextClassifier.from_bytes(model.to_bytes())
    assert again.predict_top(test_texts[:5]) == model.predict_top(test_texts[:5])
    raw = TextClassifier(nb_weight=True).fit(*make_reports(10, seed=7))
    assert abs(float(raw.predict_proba(["公交车站红绿灯"]).sum()) - 1) < 1e-9


@pytest.mark.parametrize("nb_weight", [False, True])
def test_the_model_does_not_depend_on_how_many_svms_are_fitted_at_once(nb_weight: bool) -> None:
    texts, labels = make_reports(20, seed=9)
    alone = TextClassifier(nb_weight=nb_weight).fit(texts, labels, jobs=1)
    side_by_side = TextClassifier(nb_weight=nb_weight).fit(texts, labels, jobs=2)
    assert alone.temperature == side_by_side.temperature != 1.0
    assert alone._svm is not None and side_by_side._svm is not None
    assert (alone._svm.coef_ == side_by_side._svm.coef_).all()
    probe = make_reports(5, seed=10)[0]
    assert alone.predict_top(probe) == side_by_side.predict_top(probe)


# A model written by the format-1 code itself: the tree before commit 3952830 (git archive 3952830^ src),
# scikit-learn 1.9.1, running
#   TextClassifier(char_ngram=(1, 1), word_ngram=(1, 1), pretokenized=True)
#       .fit(*make_reports(8, seed=11, pretokenized=True)).to_bytes()
# Its character and word features are scikit-learn TfidfVectorizers, the word one pickled with a reference
# to classifier._split_words. Unigrams keep the file at 7 KB; production's 1-2 grams would take 11.
FORMAT_1_MODEL = Path(__file__).parent / "fixtures" / "classifier-format-1.pickle"


def test_models_stored_in_format_1_still_load_and_score_as_they_did() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    restored = TextClassifier.from_bytes(FORMAT_1_MODEL.read_bytes())
    assert [type(v) for v in restored._vectorizers] == [TfidfVectorizer, TfidfVectorizer]
    # What the format-1 code answered for two mixed texts, right after it wrote the file.
    answered = {
        "红绿灯 污水": [("交通运输", 0.995726), ("环境保护", 0.004274)],
        "居民 反映 问题": [("环境保护", 0.926111), ("交通运输", 0.073666)],
    }
    for text, top in answered.items():
        got = restored.predict_top([text], k=2)[0]
        assert [label for label, _ in got] == [label for label, _ in top], text
        assert [p for _, p in got] == pytest.approx([p for _, p in top], abs=1e-5), text


def test_character_features_are_the_fast_vectorizer() -> None:
    from civicgrid.adapters.ngrams import CharNgramTfidf

    model = TextClassifier(char_ngram=(1, 3)).fit(*make_reports(10, seed=13))
    [vectorizer] = model._vectorizers
    assert isinstance(vectorizer, CharNgramTfidf) and vectorizer.ngram_range == (1, 3)
    assert pickle_round_trip_agrees(model)


def pickle_round_trip_agrees(model: TextClassifier) -> bool:
    probe, _ = make_reports(2, seed=14)
    return TextClassifier.from_bytes(model.to_bytes()).predict_top(probe) == model.predict_top(probe)


def test_a_lead_block_is_trained_stored_and_read_back() -> None:
    from civicgrid.adapters.ngrams import LeadTfidf

    texts, labels = make_reports(20, seed=15, pretokenized=True)
    subjects = [f"{text.split()[0]} 反映  {text}" for text in texts]  # a subject line, then the body
    model = TextClassifier(pretokenized=True, word_ngram=(1, 2), lead=12, lead_weight=0.7).fit(
        subjects, labels
    )
    lead = model._vectorizers[-1]
    assert isinstance(lead, LeadTfidf) and (lead.units, lead.weight, lead.pretokenized) == (12, 0.7, True)
    assert model.hyperparams["lead"] == 12 and model.hyperparams["lead_weight"] == 0.7
    assert pickle_round_trip_agrees(model)
    probe, probe_labels = make_reports(10, seed=16, pretokenized=True)
    accuracy = sum(p == t for p, t in zip(model.predict(probe), probe_labels, strict=True)) / len(probe)
    assert accuracy > 0.9


def test_a_model_without_a_lead_is_written_as_format_2_knew_it_and_one_with_a_lead_as_format_3() -> None:
    import pickle

    plain = TextClassifier().fit(*make_reports(10, seed=17))
    payload = pickle.loads(plain.to_bytes())
    assert payload["format"] == 2 and not {"lead", "lead_weight"} & set(payload["hyperparams"])
    restored = TextClassifier.from_bytes(plain.to_bytes())
    assert restored.lead is None and plain.lead is None  # writing it did not change the model itself
    probe, _ = make_reports(2, seed=18)
    assert restored.predict_top(probe) == plain.predict_top(probe)
    led = TextClassifier(lead=8).fit(*make_reports(10, seed=17))
    assert pickle.loads(led.to_bytes())["format"] == FORMAT_VERSION == 3
    assert TextClassifier.from_bytes(led.to_bytes()).lead == 8
