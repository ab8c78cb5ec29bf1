"""The mutation sample's bookkeeping (eval/mutants.py), on invented mutmut metadata."""

import json

import pytest

from eval.mutants import mutant_exit_codes, summary, wilson


def test_exit_codes_are_read_from_every_meta_file(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.py.meta").write_text(json.dumps({"exit_code_by_key": {"m1": 1, "m2": 0}}))
    (tmp_path / "y.py.meta").write_text(json.dumps({"exit_code_by_key": {"m3": None}}))
    assert mutant_exit_codes(tmp_path) == {"m1": 1, "m2": 0, "m3": None}


def test_summary_counts_kills_and_leaves_out_untested():
    codes = {"k1": 1, "k2": 3, "t": 36, "s": 0, "n": 33, "u": None}
    killed, tested, survivors = summary(codes, list(codes))
    assert (killed, tested, survivors) == (3, 4, ["s"])


def test_wilson_interval_brackets_the_share():
    low, high = wilson(80, 100)
    assert low < 0.8 < high and high - low == pytest.approx(0.155, abs=0.01)
    assert wilson(0, 0) == (0.0, 1.0)
