"""The two fits ``python -m eval calibrate`` needs, on plain arrays (numpy only).

Both standardize the features, fit with an L2 penalty on the standardized weights, may hold
each weight to one side of 0, and return weights for the raw features, so the runtime needs
no scaler.
"""

from __future__ import annotations

import numpy as np


def fit_softmax_ranker(
    groups: list[tuple[np.ndarray, np.ndarray]],
    l2: float,
    signs: np.ndarray | None = None,
) -> np.ndarray:
    """Weights ``w`` maximizing the mean over groups of log Σ_target softmax(x @ w), minus an L2
    penalty: each group is (candidate features (n, d), target distribution (n,)). A shift of
    every score in a group changes no softmax, so there is no bias. ``signs`` (+1, -1 or 0 per
    feature) bounds each weight to its side of 0. Solved by L-BFGS-B (a convex problem)."""
    from scipy.optimize import minimize

    stacked = np.vstack([x for x, _ in groups])
    mean, sd = stacked.mean(axis=0), stacked.std(axis=0) + 1e-6
    scaled = [((x - mean) / sd, target) for x, target in groups]
    signs = np.zeros(stacked.shape[1]) if signs is None else np.asarray(signs, dtype=float)
    bounds = [(0.0, None) if s > 0 else (None, 0.0) if s < 0 else (None, None) for s in signs]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = 0.5 * l2 * (w @ w) / len(scaled), l2 * w / len(scaled)
        for x, target in scaled:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            value -= np.log(max(float(p @ target), 1e-300)) / len(scaled)
            posterior = p * target / max(float(p @ target), 1e-300)  # the targets' share of p
            gradient = gradient + x.T @ (p - posterior) / len(scaled)
        return value, gradient

    w = minimize(loss, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds).x
    return w / sd


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float, signs: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """(bias, weights) of an L2-regularized logistic regression of ``y`` (0/1) on ``x``, by
    Newton steps; the bias is not penalized. ``signs`` (+1, -1 or 0 per feature) states the
    direction each feature may push: a feature whose fitted weight comes out the other way
    (an artefact of correlated features) is dropped and the rest refitted, until none does."""
    signs = np.zeros(x.shape[1]) if signs is None else np.asarray(signs, dtype=float)
    active = np.ones(x.shape[1], dtype=bool)
    while True:
        bias, fitted = _newton_logistic(x[:, active], y, l2)
        weights = np.zeros(x.shape[1])
        weights[active] = fitted
        wrong = active & (weights * signs < 0)
        if not wrong.any():
            return bias, weights
        active[np.argmin(np.where(wrong, weights * signs, 0.0))] = False


def _newton_logistic(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[float, np.ndarray]:
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
