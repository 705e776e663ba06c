"""Fast character n-grams: the same features and weights as scikit-learn's character TfidfVectorizer."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from civicgrid.adapters.ngrams import CharNgramTfidf, LeadTfidf, WordNgramTfidf, lead_of, split_words

TRAIN = [
    "小区门口的路灯坏了，晚上很黑",
    "学校老师周末补课收费",
    "公交车站没有遮雨棚  ABC Road\n\n三号线",
    "拖欠工资三个月，社保也没交",
    "小区噪音扰民，晚上施工",
    "𠀀𠀁 生僻字和表情 😀😀 也能处理",
    "",
    "路灯 路灯 路灯",
]
TEST = ["晚上小区路灯不亮", "abc ROAD 公交", "全新的字符 ☃", "", "😀😀 表情", "工资\t\t社保"]


def reference(ngram: tuple[int, int], min_df: int, max_df: float, sublinear: bool) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char", ngram_range=ngram, min_df=min_df, max_df=max_df, sublinear_tf=sublinear
    )


def as_named(matrix: sp.csr_matrix, names: list[str]) -> list[dict[str, float]]:
    dense = matrix.toarray()
    return [{n: round(float(v), 12) for n, v in zip(names, row, strict=True) if v} for row in dense]


def names_of(model: CharNgramTfidf) -> list[str]:
    """Decode the model's n-gram codes back into strings (test helper)."""
    base = len(model.chars_) + 1
    names = []
    for code in model.codes_.tolist():
        chars = []
        while code:
            code, digit = divmod(code, base)
            chars.append(chr(int(model.chars_[digit - 1])))
        names.append("".join(reversed(chars)))
    return names


@pytest.mark.parametrize(
    ("ngram", "min_df", "max_df", "sublinear"),
    [((1, 1), 1, 1.0, True), ((1, 2), 1, 1.0, False), ((1, 3), 2, 1.0, True), ((2, 4), 1, 0.5, True)],
)
def test_features_and_weights_match_scikit_learn(
    ngram: tuple[int, int], min_df: int, max_df: float, sublinear: bool
) -> None:
    ours = CharNgramTfidf(ngram, min_df=min_df, max_df=max_df, sublinear_tf=sublinear)
    theirs = reference(ngram, min_df, max_df, sublinear)
    fitted_ours = ours.fit_transform(TRAIN)
    fitted_theirs = theirs.fit_transform(TRAIN)
    names = names_of(ours)
    assert sorted(names) == sorted(theirs.get_feature_names_out().tolist())
    their_names = theirs.get_feature_names_out().tolist()
    assert as_named(fitted_ours, names) == as_named(fitted_theirs, their_names)
    assert as_named(ours.transform(TEST), names) == as_named(theirs.transform(TEST), their_names)


def test_rows_are_unit_length_and_unknown_text_is_an_empty_row() -> None:
    model = CharNgramTfidf((1, 3)).fit(TRAIN)
    rows = model.transform(["路灯坏了", "☃☃☃", ""])
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    assert norms.tolist() == pytest.approx([1.0, 0.0, 0.0])
    assert rows.shape == (3, model.n_features)


def test_survives_pickling() -> None:
    model = CharNgramTfidf((1, 2), min_df=1).fit(TRAIN)
    model.transform(TEST)  # builds the code point table
    again = pickle.loads(pickle.dumps(model))
    assert again._table is None  # rebuilt on first use, never stored
    assert (again.transform(TEST) != model.transform(TEST)).nnz == 0


def test_a_separator_or_lone_surrogate_in_a_text_stays_in_its_own_row() -> None:
    texts = [*TRAIN[:3], "井盖\ufdd0丢了", "路灯\ud800不亮"]
    model = CharNgramTfidf((1, 3)).fit(texts)
    rows = model.transform(["井盖\ufdd0丢了", "路灯\ud800不亮", TRAIN[0]])
    assert rows.shape == (3, model.n_features)
    alone = model.transform([TRAIN[0]])
    assert (rows[2] != alone).nnz == 0  # the texts before it did not shift it
    assert (model.transform(["井盖 丢了"]) != rows[0]).nnz == 0  # the separator reads as a space


def test_ngram_range_is_checked() -> None:
    with pytest.raises(ValueError, match="ngram_range"):
        CharNgramTfidf((1, 5))
    with pytest.raises(ValueError, match="ngram_range"):
        CharNgramTfidf((2, 1))


def test_transform_before_fit_is_refused() -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        CharNgramTfidf().transform(["路灯"])


def test_a_vocabulary_left_empty_is_refused() -> None:
    with pytest.raises(ValueError, match="empty vocabulary"):
        CharNgramTfidf((1, 2), min_df=3).fit(["甲", "乙", ""])


SEGMENTED = [
    "小区 门口 路灯 坏 了 晚上 很 黑",
    "学校 老师 周末 补课 收费",
    "公交 车站 没有 遮雨棚 ABC Road",
    "拖欠 工资 三个 月 社保 没交",
    "小区 噪音 扰民 晚上 施工 路灯",
    "",
    "路灯 路灯  路灯\n坏 了",
]
SEGMENTED_TEST = ["晚上 小区 路灯 坏 了", "abc Road 公交 车站", "全新 词语", "", "老师 补课 补课"]


def word_names(model: WordNgramTfidf) -> list[str]:
    words = {i: w for w, i in model.words_.items()}
    base = len(words) + 1
    names = []
    for code in model.codes_.tolist():
        parts = []
        while code:
            code, digit = divmod(code, base)
            parts.append(words[digit])
        names.append(" ".join(reversed(parts)))
    return names


@pytest.mark.parametrize(
    ("ngram", "min_df", "max_df", "sublinear"),
    [((1, 1), 1, 1.0, True), ((1, 2), 1, 1.0, False), ((1, 3), 2, 1.0, True), ((2, 3), 1, 0.5, True)],
)
def test_word_features_and_weights_match_scikit_learn(
    ngram: tuple[int, int], min_df: int, max_df: float, sublinear: bool
) -> None:
    ours = WordNgramTfidf(ngram, min_df=min_df, max_df=max_df, sublinear_tf=sublinear)
    theirs = TfidfVectorizer(
        tokenizer=split_words,
        token_pattern=None,
        lowercase=False,
        ngram_range=ngram,
        min_df=min_df,
        max_df=max_df,
        sublinear_tf=sublinear,
    )
    fitted_ours = ours.fit_transform(SEGMENTED)
    their_names = theirs.fit(SEGMENTED).get_feature_names_out().tolist()
    names = word_names(ours)
    assert sorted(names) == sorted(their_names)
    assert as_named(fitted_ours, names) == as_named(theirs.transform(SEGMENTED), their_names)
    assert as_named(ours.transform(SEGMENTED_TEST), names) == as_named(
        theirs.transform(SEGMENTED_TEST), their_names
    )


def test_words_come_from_the_tokenizer_and_survive_pickling() -> None:
    model = WordNgramTfidf((1, 2), tokenizer=list).fit(["路灯坏了", "路灯不亮"])  # characters as words
    assert "路" in model.words_ and "路灯" not in model.words_
    again = pickle.loads(pickle.dumps(model))
    assert (again.transform(["路灯亮了"]) != model.transform(["路灯亮了"])).nnz == 0
    with pytest.raises(ValueError, match="ngram_range"):
        WordNgramTfidf((1, 4))


def test_the_lead_is_the_subject_line_cut_to_its_words_or_characters() -> None:
    board = "  A3 区 路灯 坏 了      局长 您好 路灯 三天 不亮"  # segmented: subject, a run of spaces, body
    assert lead_of(board, 12, pretokenized=True) == "A3 区 路灯 坏 了"
    assert lead_of(board, 3, pretokenized=True) == "A3 区 路灯"
    assert lead_of("路灯 坏 了\u3000局长 您好", 12, pretokenized=True) == "路灯 坏 了"  # ideographic space
    assert (
        lead_of("小区门口路灯坏了晚上很黑", 4, pretokenized=False) == "小区门口"
    )  # raw text, no subject line
    assert lead_of("路灯坏了  局长您好", 40, pretokenized=False) == "路灯坏了"
    assert lead_of("", 12, pretokenized=True) == ""


def test_the_lead_block_counts_only_the_opening_and_weighs_what_it_is_told() -> None:
    texts = ["路灯 坏 了  局长 您好 噪音", "噪音 扰民  路灯 也 坏", "学校 补课  收费"]
    lead = LeadTfidf(12, 0.7, (1, 1), pretokenized=True)
    rows = lead.fit_transform(texts)
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    assert norms == pytest.approx([0.7, 0.7, 0.7])
    inner = names_of(lead.chars)
    assert "噪" in inner and "局" not in inner and "收" not in inner  # body-only characters are not features
    assert lead.n_features == len(inner)
    again = pickle.loads(pickle.dumps(lead))
    assert (again.transform(["路灯 亮 了  好"]) != lead.transform(["路灯 亮 了  好"])).nnz == 0
    with pytest.raises(ValueError, match="at least one"):
        LeadTfidf(0, 0.5)
    with pytest.raises(ValueError, match="positive"):
        LeadTfidf(12, 0.0)


def test_documents_are_counted_a_few_at_a_time_when_their_keys_would_not_fit_in_64_bits() -> None:
    # 41,000 distinct characters: a 4-gram's code approaches 2**62, so 6 documents share a sort.
    alphabet = [chr(0x4E00 + i) for i in range(20_900)] + [chr(0x20000 + i) for i in range(20_100)]
    texts = ["".join(alphabet[i::20]) + alphabet[-1] * 3 for i in range(20)]
    model = CharNgramTfidf((3, 4), min_df=1)
    fitted = model.fit_transform(texts)
    assert len(model.chars_) == len(alphabet) and int(model.codes_.max()) > 2**64 // 20
    again = model.transform(texts)
    assert (again != fitted).nnz == 0 and again.shape == (20, model.n_features)
    # Whole sorts of documents without a known n-gram (empty, or unknown characters) are empty rows.
    blanks = [""] * 7 + ["☃☃☃☃"] * 7
    mixed = model.transform(blanks + texts[:3] + blanks)
    assert mixed.shape == (31, model.n_features)
    assert (mixed[14:17] != fitted[:3]).nnz == 0 and mixed[:14].nnz == 0 and mixed[17:].nnz == 0
