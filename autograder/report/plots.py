"""PNG plots for the class report (matplotlib Agg, no pyplot): score histograms and check pass
rates. Deterministic like `pictures`: fixed size and DPI, no software metadata."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autograder.report.pictures import _png

_DPI = 80
_COLORS = {"base": "#0969da", "bonus": "#bc4c00", "good": "#1a7f37", "mid": "#d4a72c",
           "bad": "#cf222e"}


def _bins(top: float) -> np.ndarray:
    """Bin edges: up to 20 points, one bin per whole point centred on it (a score counts at
    its nearest integer); above, 20 equal bins from 0 to `top`."""
    top = max(float(top), 1.0)
    if top <= 20:
        return np.arange(-0.5, np.ceil(top) + 1.0, 1.0)
    return np.linspace(0.0, top, 21)


def histogram(values: Sequence[float], top: float) -> tuple[np.ndarray, np.ndarray]:
    """(bin edges, students per bin) of scores in [0, top] (see `_bins`)."""
    edges = _bins(top)
    counts, _ = np.histogram(np.clip(np.asarray(values, dtype=float), 0, top), edges)
    return edges, counts


def score_histogram_png(base: Sequence[float], bonus: Sequence[float], max_score: float,
                        bonus_points: float, titles: Sequence[str], ylabel: str) -> bytes:
    """Two panels: students per base-score bin (0..max_score) and per bonus-score bin
    (0..bonus_points; left out when the assignment has no bonus tests); bins from `_bins`."""
    from matplotlib.figure import Figure

    panels = [("base", base, max_score)] + ([("bonus", bonus, bonus_points)] if bonus_points
                                             else [])
    widths = [3, 1.4][:len(panels)]
    fig = Figure(figsize=(2.6 * sum(widths), 2.8), dpi=_DPI, layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False, width_ratios=widths)[0]
    for ax, (kind, values, top), title in zip(axes, panels, titles, strict=False):
        edges, counts = histogram(values, top)
        ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=_COLORS[kind],
               edgecolor="white")
        ax.set_title(title, fontsize=10)
        ax.set_xlim(edges[0], edges[-1])
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def pass_rate_png(labels: Sequence[str], rates: Sequence[float], xlabel: str) -> bytes:
    """Horizontal bars: one per check (worst first, top of the chart), rate in [0, 1]."""
    from matplotlib.figure import Figure

    n = max(len(labels), 1)
    fig = Figure(figsize=(7.5, 0.6 + 0.26 * n), dpi=_DPI, layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(labels))[::-1]
    colors = [_COLORS["good"] if r >= 0.8 else _COLORS["mid"] if r >= 0.5 else _COLORS["bad"]
              for r in rates]
    ax.barh(y, [100 * r for r in rates], color=colors, height=0.7)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)
