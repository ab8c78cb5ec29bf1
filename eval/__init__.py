"""Evaluation: ``python -m eval predict`` writes predictions, ``python -m eval score`` scores them."""
