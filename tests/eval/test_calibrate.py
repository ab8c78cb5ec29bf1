"""The fits of ``python -m eval calibrate`` on tiny synthetic data, and its objective."""

import numpy as np
import pytest

from eval.calibrate import credit, refusal_f1
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
