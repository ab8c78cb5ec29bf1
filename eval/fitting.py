"""The two fits ``python -m eval calibrate`` needs, on plain arrays (numpy only).

Both standardize the features, fit with an L2 penalty on the standardized weights, and return
weights for the raw features, so the runtime needs no scaler.
"""

from __future__ import annotations

import numpy as np


def fit_softmax_ranker(
    groups: list[tuple[np.ndarray, np.ndarray]], l2: float, steps: int = 400, rate: float = 0.5
) -> np.ndarray:
    """Weights ``w`` maximizing the mean over groups of log Σ_target softmax(x @ w): each group is
    (candidate features (n, d), target distribution (n,)). A shift of every score in a group
    changes no softmax, so there is no bias."""
    stacked = np.vstack([x for x, _ in groups])
    mean, sd = stacked.mean(axis=0), stacked.std(axis=0) + 1e-6
    w = np.zeros(stacked.shape[1])
    for _ in range(steps):
        gradient = l2 * w / len(groups)
        for x, target in groups:
            z = ((x - mean) / sd) @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            gradient += ((x - mean) / sd).T @ (p - target) / len(groups)
        w -= rate * gradient
    return w / sd


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[float, np.ndarray]:
    """(bias, weights) of an L2-regularized logistic regression of ``y`` (0/1) on ``x``, by
    Newton steps; the bias is not penalized."""
    mean, sd = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / sd])
    w = np.zeros(z.shape[1])
    penalty = np.eye(z.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -30, 30)))
        step = np.linalg.solve((z * (p * (1 - p))[:, None]).T @ z + penalty, z.T @ (p - y) + penalty @ w)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return float(w[0] - np.sum(w[1:] * mean / sd)), w[1:] / sd
