"""The fits of ``python -m eval calibrate`` on tiny synthetic data, and its objective."""

import numpy as np
import pytest

from eval.calibrate import credit, refusal_f1, unmeasured_means
from eval.calibration_cases import Case, holds_answer
from eval.fitting import fit_logistic, fit_softmax_ranker


def test_logistic_fit_separates_and_returns_raw_scale_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2)) * [1.0, 100.0]  # the second feature on another scale
    y = (x[:, 0] + x[:, 1] / 100.0 > 0).astype(float)
    bias, w = fit_logistic(x, y, l2=0.1)
    predicted = (bias + x @ w) > 0
    assert (predicted == y.astype(bool)).mean() > 0.95
    assert w[0] > 0 and w[1] > 0 and w[0] / w[1] == pytest.approx(100.0, rel=0.3)


def test_logistic_fit_drops_a_feature_whose_weight_takes_the_forbidden_sign():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(600, 3))
    y = (x[:, 0] - 0.5 * x[:, 1] + 0.2 * rng.normal(size=600) > 0).astype(float)
    _, free = fit_logistic(x, y, l2=0.01)
    assert free[0] > 0 and free[1] < 0
    _, held = fit_logistic(x, y, l2=0.01, signs=np.array([1, 1, 0]))  # feature 1 may only raise
    assert held[1] == 0.0 and held[0] > 0
    assert abs(held[2]) < 0.5  # an unconstrained feature stays free (and near its true 0)


def test_softmax_ranker_learns_which_feature_marks_the_answer():
    rng = np.random.default_rng(1)
    groups = []
    for _ in range(60):
        x = rng.normal(size=(8, 3))
        best = int(np.argmax(x[:, 1]))  # the answer is the candidate highest on feature 1
        target = np.zeros(8)
        target[best] = 1.0
        groups.append((x, target))
    w = fit_softmax_ranker(groups, l2=0.01)
    assert w[1] > 2 * abs(w[0]) and w[1] > 2 * abs(w[2])
    hits = sum(int(np.argmax(x @ w)) == int(np.argmax(t)) for x, t in groups)
    assert hits >= 55
    held = fit_softmax_ranker(groups, l2=0.01, signs=np.array([0, -1, 0]))  # feature 1 may only lower
    assert held[1] == 0.0


def _case(answerable: bool) -> Case:
    return Case("set", "q", "as asked", ["答案"] if answerable else [], "问题", "问题", [], [], [])


def test_credit_and_refusal_f1():
    results = [
        (_case(True), False, 0.8),
        (_case(True), True, 0.0),
        (_case(False), True, 0.0),
        (_case(False), False, 0.0),
    ]
    assert credit(results) == pytest.approx((0.8 + 0 + 1 + 0) / 4)
    assert refusal_f1([(c, refused) for c, refused, _ in results]) == pytest.approx(0.5)


def test_a_passage_holds_the_answer_whitespace_insensitively():
    row = {"evidence": "新建乡村图书馆37座", "answers": ["37座"]}
    assert holds_answer("全县新建乡村图书馆 37 座。", row)
    assert not holds_answer("全县改造农村公路96公里。", row)


def test_stand_ins_are_the_means_where_measured_and_the_current_ones_where_nothing_was():
    from dataclasses import replace as copy

    from qa.answering.evidence import Evidence
    from qa.answering.grounding import Span
    from qa.answering.types import Draft
    from qa.fitted import RefusalSettings

    text = "青禾县新建乡村书屋18座。"
    sentence = Evidence(0, "qinghe", 0, len(text), text, "青禾县报告", (), None, 1.0, 0.8)

    def pair(similarity):
        case = Case("set", "q", "as asked", ["18座"], "书屋建了几座？", "书屋建了几座？", [], [], [])
        case.evidence = [copy(sentence, similarity=similarity)]
        return case, Draft("generative", [Span(0, 9, 12, "18座", True)], "18座")

    assert unmeasured_means([pair(0.8), pair(0.9), pair(None)]) == {"cited_similarity": pytest.approx(0.85)}
    assert unmeasured_means([pair(None)]) == dict(RefusalSettings().unmeasured)


def test_cross_validation_scores_each_question_under_a_fit_that_did_not_see_it(monkeypatch):
    import eval.calibrate as calibrate
    from qa.answering.refusal import FEATURES
    from qa.answering.types import Draft

    rng = np.random.default_rng(3)
    pairs, values = [], {}
    for n in range(60):
        answerable = n % 2 == 0
        gold = ["18座"] if answerable else []
        case = Case("set_a" if n < 30 else "set_b", f"q{n}", "as asked", gold, f"q{n}", f"q{n}", [], [], [])
        values[case.rewritten] = {name: 0.0 for name in FEATURES} | {"coverage": float(answerable) + rng.normal(0, 0.1)}
        pairs.append((case, Draft("generative", [], "18座")))
    monkeypatch.setattr(calibrate, "signals", lambda question, *_: values[question])
    monkeypatch.setattr(calibrate, "certain_refusal", lambda *_: "")
    monkeypatch.setattr(calibrate, "best_f1", lambda text, answers: 1.0 if answers else 0.0)
    line = calibrate.cross_validate(pairs, folds=5, unmeasured=(("cited_similarity", 0.9),), seeds=1)
    assert line.startswith("all: credit 1.000") and "set_a: credit" in line and "set_b: credit" in line
    values["q0"]["coverage"] = -5.0  # an answerable question of set_a that looks unanswerable: refused
    line = calibrate.cross_validate(pairs, 5, (("cited_similarity", 0.9),), seeds=1)
    assert "set_a: credit 1.000" not in line and "all: credit 1.000" not in line


def test_the_printed_settings_block_reads_back_as_the_fitted_values_even_for_one_pair():
    import ast

    from eval.calibrate import settings_block

    block = settings_block(
        {"coverage": 1.5},
        {"generative": {"bias": -2.0}, "extractive": {}},
        {"generative": 0.3, "extractive": 0.35},
        0.88,
        {"cited_similarity": 0.9},
    )
    lines = {
        line.strip().split("=", 1)[0]: line.strip().split("=", 1)[1].rstrip(",")
        for line in block.splitlines()
        if "=(" in line
    }
    assert ast.literal_eval(lines["unmeasured"]) == (("cited_similarity", 0.9),)
    assert ast.literal_eval(lines["weights"]) == (("coverage", 1.5),)
    assert ast.literal_eval(lines["generative"]) == (("bias", -2.0),) and ast.literal_eval(lines["extractive"]) == ()
