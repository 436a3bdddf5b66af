"""The routing pipeline and the rule hints, pure (no database): small synthetic data written by us."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from yihaotong.core.analysis import tokens
from yihaotong.routing import hints
from yihaotong.routing.ml import (
    EVAL_KEYS,
    ModelConfig,
    TextClassifier,
    TrainingError,
    _softmax,
    evaluate,
    evaluate_files,
    prepare,
)

from .synthetic import texts_and_labels


@pytest.fixture(scope="module")
def model() -> TextClassifier:
    texts, labels = texts_and_labels()
    return TextClassifier().fit(texts, labels)


def test_fit_reports_metrics_and_chooses_c_on_a_holdout(model):
    m = model.metrics
    assert m["n_train"] == 60 and m["n_classes"] == 3
    assert m["c"] in ModelConfig().c_grid
    assert m["holdout"]["n"] == 12 and 0 <= m["holdout"]["macro_f1"] <= 1
    assert m["class_counts"] == {"CMG-02": 20, "EDU-01": 20, "ENV-02-01": 20}
    assert 0.1 <= m["temperature"] <= 10


def test_top_gives_ranked_confidences_and_input_words(model):
    text = "孩子九月上小学，一年级入学报名需要什么材料？"
    top = model.top(text, k=3)
    assert [p.label for p in top][0] == "EDU-01"
    assert len(top) == 3 and len({p.label for p in top}) == 3
    confidences = [p.confidence for p in top]
    assert confidences == sorted(confidences, reverse=True) and sum(confidences) <= 1.0001
    assert top[0].words, "the words that drove the suggestion"
    assert set(top[0].words) <= set(tokens(text))
    assert {"入学", "报名"} & set(top[0].words)


@pytest.mark.parametrize(
    "text, expected",
    [("垃圾桶满了好几天没人清运，很臭", "CMG-02"), ("楼上邻居半夜噪音太吵了", "ENV-02-01")],
)
def test_top_label(model, text, expected):
    assert model.top(text)[0].label == expected


@pytest.mark.parametrize("text", ["", "   ", "！？。，、…", "😀😀🙏", None])
def test_top_of_unreadable_text_is_empty(model, text):
    assert model.top(text) == []


def test_top_of_odd_text_does_not_raise(model):
    for text in ["x" * 50_000, "噪" * 50_000, "My neighbour is too noisy at night", "孩子入學報名需要什麼材料"]:
        assert isinstance(model.top(text), list)


def test_dumps_and_loads_give_the_same_predictions(model):
    again = TextClassifier.loads(model.dumps())
    texts, _ = texts_and_labels(5)
    assert np.allclose(again.predict_proba(texts), model.predict_proba(texts))
    assert again.predict(texts) == model.predict(texts)


def test_loads_refuses_other_objects_and_old_formats(model):
    import io

    import joblib

    buf = io.BytesIO()
    joblib.dump({"not": "a model"}, buf)
    with pytest.raises(ValueError, match="not a TextClassifier"):
        TextClassifier.loads(buf.getvalue())
    model.format = 0
    try:
        with pytest.raises(ValueError, match="retrain"):
            TextClassifier.loads(model.dumps())
    finally:
        model.format = TextClassifier.format


def test_binary_and_tiny_training_sets():
    texts, labels = texts_and_labels(4)
    binary = [(t, label) for t, label in zip(texts, labels, strict=True) if label != "ENV-02-01"]
    m = TextClassifier().fit([t for t, _ in binary], [label for _, label in binary])
    assert m.metrics["holdout"] == {}  # too small for a hold-out: default C and temperature
    top = m.top("垃圾没人清运")
    assert [p.label for p in top] == ["CMG-02", "EDU-01"]
    assert top[0].confidence > 0.5


def test_training_errors():
    with pytest.raises(TrainingError, match="2 classes"):
        TextClassifier().fit(["一", "二"], ["a", "a"])
    with pytest.raises(TrainingError, match="2 classes"):
        TextClassifier().fit(["！！", "。。", "好"], ["a", "b", "a"])  # punctuation rows are dropped
    with pytest.raises(TrainingError):
        TextClassifier(ModelConfig(min_df=5)).fit(["甲乙", "丙丁"], ["a", "b"])  # nothing occurs 5 times


def test_prepare_masks_long_numbers_and_caps():
    assert prepare("电话13800001234，门牌12号") == "电话#,门牌12号"
    assert len(prepare("字" * 50_000)) == 1000
    assert prepare("  ＡＢＣ　full-width  ") == "abc full-width"


def test_word_bigrams_variant_trains():
    texts, labels = texts_and_labels(10)
    m = TextClassifier(ModelConfig(word_ngram=(1, 2), char_ngram=(2, 3))).fit(texts, labels)
    assert m.top("小学入学报名材料")[0].label == "EDU-01"


def test_max_weights_prunes_the_matrix():
    texts, labels = texts_and_labels(10)
    m = TextClassifier(ModelConfig(max_weights=300)).fit(texts, labels)
    assert m.W_.nnz <= 300
    assert m.top("小学入学报名")[0].label == "EDU-01"


def _reference_top(model: TextClassifier, text: str, k: int = 3) -> list[tuple[str, float, set[str]]]:
    """``top`` computed the plain way: scikit-learn's transform, the dense weight matrix, every word scored."""
    prepared = prepare(text)
    X = model._transform([prepared]).toarray()[0]
    W = model.W_.toarray()
    proba = _softmax((W @ X + model.b_)[None, :], model.temperature_)[0]
    out = []
    for i in np.argsort(-proba)[:k]:
        shares = {}
        for word in set(tokens(prepared)):
            if word.isdigit() or len(word) < 2 or not (re.search("[\u3400-\u9fff]", word) or len(word) > 2):
                continue
            features = []
            if word in model.word_vec_.vocabulary_:
                features.append(model.n_char_ + model.word_vec_.vocabulary_[word])
            for size in range(1, min(3, len(word)) + 1):
                features += [
                    model.char_vec_.vocabulary_[word[j : j + size]]
                    for j in range(len(word) - size + 1)
                    if word[j : j + size] in model.char_vec_.vocabulary_
                ]
            shares[word] = sum(W[i, f] * X[f] for f in features)
        out.append((str(model.classes_[i]), float(proba[i]), {w for w, v in shares.items() if v > 0}))
    return out


@pytest.mark.parametrize(
    "text",
    [
        "孩子九月上小学，一年级入学报名需要什么材料？",
        "垃圾桶满了好几天没人清运，很臭  \n\n 楼道里也是",
        "Noise from the building site at night 夜间施工",
        "小学",
    ],
)
def test_the_single_text_path_computes_what_the_vectorizers_compute(model, text):
    prepared = prepare(text)
    indices, values, words = model._row(prepared)
    row = np.zeros(model.W_.shape[1])
    row[indices] = values
    assert np.allclose(row, model._transform([prepared]).toarray()[0], atol=1e-6)
    assert words == tokens(prepared)
    top = model.top(text, k=3, explain=100)
    for got, (label, confidence, positive_words) in zip(top, _reference_top(model, text), strict=True):
        assert got.label == label and got.confidence == pytest.approx(confidence, abs=1e-4)
        assert set(got.words) == positive_words


def test_nbsvm_beside_the_svm_is_one_linear_model():
    texts, labels = texts_and_labels(20)
    m = TextClassifier().fit(texts, labels)  # NB-SVM beside the SVM is the default
    assert len(m.metrics["score_scales"]) == 2 and all(s > 0 for s in m.metrics["score_scales"])
    assert TextClassifier(ModelConfig(nbsvm=False)).fit(texts, labels).metrics["score_scales"] == [1.0]
    many = TextClassifier(ModelConfig(nbsvm_max_classes=2)).fit(texts, labels)  # 3 classes: the SVM alone
    assert many.metrics["score_scales"] == [1.0]
    text = "孩子九月上小学，一年级入学报名需要什么材料？"
    top = m.top(text, k=3, explain=100)
    assert top[0].label == "EDU-01" and top[0].words
    for got, (label, confidence, positive_words) in zip(top, _reference_top(m, text), strict=True):
        assert got.label == label and got.confidence == pytest.approx(confidence, abs=1e-4)
        assert set(got.words) == positive_words
    assert m.predict(["垃圾桶满了好几天没人清运，很臭"]) == ["CMG-02"]


def test_weight_rows_of_a_pruned_matrix(model):
    texts, labels = texts_and_labels(10)
    pruned = TextClassifier(ModelConfig(max_weights=300)).fit(texts, labels)
    indices, _values, _words = pruned._row(prepare("小学入学报名，垃圾清运"))
    assert np.array_equal(pruned._weight_rows(indices), pruned.Wt_[indices].toarray())


# --- evaluation -----------------------------------------------------------------------------------------------


def test_evaluate_returns_every_figure():
    texts, labels = texts_and_labels(10)
    result = evaluate(texts[::2], labels[::2], texts[1::2], labels[1::2])
    assert tuple(result) == EVAL_KEYS
    assert result["n"] == 15 and result["top3_accuracy"] == 1.0 and result["macro_f1"] > 0.8


def test_evaluate_reports_macro_f1_by_group():
    texts, labels = texts_and_labels(10)
    test_texts, test_labels = texts[1::2], labels[1::2]
    groups = ["h0" if i % 2 else "h1" for i in range(len(test_texts))]
    result = evaluate(texts[::2], labels[::2], test_texts, test_labels, groups=groups)
    by_group = result["macro_f1_by_group"]
    assert set(by_group) == {"h0", "h1"} and all(0.0 <= v <= 1.0 for v in by_group.values())
    # Each group's figure is the macro-F1 of its own rows: one group alone gives the overall figure.
    alone = evaluate(texts[::2], labels[::2], test_texts, test_labels, groups=["all"] * len(test_texts))
    assert alone["macro_f1_by_group"] == {"all": alone["macro_f1"]}
    with pytest.raises(ValueError, match="differ in length"):
        evaluate(texts[::2], labels[::2], test_texts, test_labels, groups=["h0"])


def _write_csv(path, rows, columns):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def csv_files(tmp_path):
    from .synthetic import requests

    rows = [
        {"id": i, "subject": r["subject"], "detail": r["text"] if i % 3 else "", "label": r["category"]}
        for i, r in enumerate(requests(12))
    ]
    rows.append({"id": 999, "subject": "", "detail": "", "label": "EDU-01"})  # empty cells are allowed
    rows.append({"id": 1000, "subject": "没有标签", "detail": "", "label": ""})  # no label: skipped
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    _write_csv(train, rows[::2], ["id", "subject", "detail", "label"])
    _write_csv(test, rows[1::2], ["id", "subject", "detail", "label"])
    return train, test


def test_evaluate_files(csv_files):
    train, test = csv_files
    result = evaluate_files(str(train), str(test), "subject,detail", "label")
    assert result["n"] == 18
    with pytest.raises(ValueError, match="no column nope"):
        evaluate_files(str(train), str(test), "subject,nope", "label")


def test_eval_routing_command_prints_json_without_a_database(csv_files, tmp_path):
    train, test = csv_files
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env["YIHAOTONG_SQLITE"] = str(tmp_path / "never" / "created.sqlite3")  # no database can be opened there
    cmd = [sys.executable, "-m", "yihaotong.cli", "eval-routing", "--train", str(train), "--test", str(test)]
    cmd += ["--text-columns", "subject,detail", "--label-column", "label", "--json"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert tuple(out) == EVAL_KEYS and out["n"] == 18
    assert not (tmp_path / "never").exists()
    bad_cmd = cmd[: cmd.index("--text-columns")] + ["--text-columns", "nope", "--label-column", "label"]
    bad = subprocess.run(bad_cmd, capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "no column nope" in bad.stderr


# --- rule hints ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, level, services, kind",
    [
        ("厨房里有很浓的煤气味，怀疑燃气泄漏", "critical", ["119"], "gas_leak"),
        ("对面楼三楼着火了，冒烟很大", "critical", ["119"], "fire"),
        ("有位老人晕倒在路边", "critical", ["120", "110"], "person_in_danger"),
        ("有人站在楼顶说要跳楼", "critical", ["120", "110"], "person_in_danger"),
        ("我被困在电梯里了", "critical", ["119"], "trapped"),
        ("地下车库水淹了，车都泡了", "urgent", [], "flooding"),
        ("路口爆管，水冒得很高", "urgent", [], "flooding"),
        ("整栋楼停电一天了", "urgent", [], "utility_outage"),
        ("门口发生车祸", "urgent", ["122", "120"], "traffic_accident"),
        ("我家樓下著火了", "critical", ["119"], "fire"),  # traditional characters are folded first
    ],
)
def test_urgency_hints(text, level, services, kind):
    from yihaotong.routing.suggest import fold_text

    hint = hints.urgency_hint(fold_text(text))
    assert hint.level == level
    assert list(hint.services) == services
    assert kind in [r["kind"] for r in hint.reasons]


def test_no_urgency_for_ordinary_requests():
    assert hints.urgency_hint("请问社保卡怎么补办").as_dict() == {"level": "", "services": [], "reasons": []}
    assert hints.urgency_hint("").level == ""


def test_urgency_takes_the_highest_level_and_all_services():
    hint = hints.urgency_hint("小区停电了，楼道里还冒烟")
    assert hint.level == "critical" and hint.services == ("119",)
    assert [r["kind"] for r in hint.reasons] == ["fire", "utility_outage"]


@pytest.mark.parametrize(
    "text, code",
    [
        ("请问社保卡怎么办理", "consult"),
        ("我要投诉这家餐馆", "complaint"),
        ("实名举报有人违建", "report"),
        ("建议在路口增设红绿灯", "suggest"),
        ("感谢社区工作人员", "praise"),
        ("家里老人走失了，求助", "help"),
    ],
)
def test_request_type_rules(text, code):
    found = hints.request_type_hints(text)
    assert found[0][0] == code
    assert found[0][1] <= hints.RULE_CONFIDENCE_CAP


def test_catalogue_matcher_prefers_longer_and_whole_word_keywords():
    items = [
        hints.CatalogueItem("A", "施工", "U1", False, hints.split_keywords("施工,工地")),
        hints.CatalogueItem("A-1", "夜间施工", "U1", False, hints.split_keywords("夜间施工，打桩")),
        hints.CatalogueItem("B", "噪声", None, True, hints.split_keywords("噪音、扰民")),
    ]
    matches = hints.match_catalogue("工地夜间施工打桩，噪音扰民", items)
    assert [m.item.category for m in matches] == ["A-1", "A", "B"]  # 7 > 6 = 6 (ties: by code)
    assert [m.score for m in matches] == [7.0, 6.0, 6.0]
    assert matches[0].words == ("夜间施工", "打桩")
    confidences = hints.catalogue_confidences(matches)
    assert abs(sum(confidences) - hints.RULE_CONFIDENCE_CAP) < 1e-3
    assert hints.match_catalogue("", items) == [] and hints.match_catalogue("天气很好", items) == []
