"""The generator-skip threshold (eval/calibrate.py): margins, the least confident band and the
every-higher rule."""

import numpy as np

from eval.calibrate import SKIP_MIN_F1, lowest_safe_threshold


def _rows(confidences, mine, other):
    return [(c, m, o) for c, m, o in zip(confidences, mine, other)]


def test_perfect_extractive_answers_are_skipped_down_to_the_lowest_confidence():
    rows = _rows([0.5 + i / 100 for i in range(50)], [1.0] * 50, [1.0] * 50)
    assert lowest_safe_threshold(rows) == 0.5


def test_a_weak_band_stops_the_scan_even_when_a_lower_cut_would_pass_on_average():
    good = _rows([0.9 + i / 1000 for i in range(40)], [1.0] * 40, [0.8] * 40)
    weak = _rows([0.7 + i / 1000 for i in range(20)], [0.2] * 20, [0.9] * 20)
    easy = _rows([0.5 + i / 1000 for i in range(200)], [1.0] * 200, [0.5] * 200)
    threshold = lowest_safe_threshold(good + weak + easy)
    assert threshold == 0.72  # just above the weak band, whatever lies under it


def test_answers_worse_than_the_generator_are_never_skipped():
    rows = _rows([0.95] * 30, [SKIP_MIN_F1 + 0.05] * 30, [1.0] * 30)
    assert lowest_safe_threshold(rows) == 1.01


def test_a_mean_just_at_the_floor_fails_by_the_margin():
    mine = [1.0, SKIP_MIN_F1 * 2 - 1.0] * 10  # mean exactly SKIP_MIN_F1, with spread
    assert lowest_safe_threshold(_rows([0.95] * 20, mine, [0.0] * 20)) == 1.01


def test_too_few_questions_never_set_a_threshold():
    assert lowest_safe_threshold(_rows([0.99] * 5, [1.0] * 5, [0.0] * 5)) == 1.01


def test_a_weak_band_under_many_sure_answers_is_not_skipped():
    # the mean of everything down to 0.7 passes (160 perfect answers outweigh the band), but
    # the band's own answers are poor: the cut stays just above it
    sure = _rows([0.9 + i / 2000 for i in range(160)], [1.0] * 160, [0.9] * 160)
    band = _rows([0.7 + i / 200 for i in range(20)], [0.5] * 20, [0.5] * 20)
    everything = sure + band
    mine = np.array([m for _, m, _ in everything])
    assert mine.mean() - mine.std(ddof=1) / np.sqrt(len(mine)) > SKIP_MIN_F1
    assert lowest_safe_threshold(everything) == 0.8
