"""PNG pictures for the HTML feedback: heatmap overlays and augmentation grids (matplotlib Agg).

Both functions return PNG bytes and are deterministic (fixed size and DPI, no timestamps or
software metadata), so the same arrays give byte-identical files.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

_DPI = 80
_PANEL = 3.6  # inches per panel: 288 px, a conv map's blocks stay readable
_PNG_META = {"Software": None}


def _figure(rows: int, cols: int):
    from matplotlib.figure import Figure  # no pyplot: no global backend state, Agg canvas

    fig = Figure(figsize=(_PANEL * cols, _PANEL * rows), dpi=_DPI)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    return fig, axes


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata=_PNG_META)
    return buf.getvalue()


def displayable(image: Any) -> np.ndarray:
    """Any image array -> float [H, W] or [H, W, 3] in [0, 1] (batch axis dropped, min-max scaled).

    1 channel -> grey, 3 -> RGB, other channel counts -> mean over channels (grey).
    """
    arr = np.asarray(image, dtype="float64")
    while arr.ndim > 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 3 and arr.shape[-1] != 3:
        arr = arr.mean(axis=-1)
    arr = np.nan_to_num(arr)
    lo, hi = float(arr.min()), float(arr.max())
    return (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)


def _heat(heatmap: Any) -> np.ndarray:
    arr = np.nan_to_num(np.asarray(heatmap, dtype="float64"))
    while arr.ndim > 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 3:
        arr = arr.mean(axis=-1)
    return arr


def heatmap_overlay_png(image: Any, heatmap: Any, reference_heatmap: Any = None,
                        *, titles: Sequence[str] | None = None) -> bytes:
    """PNG: image | your map over it (| the reference map over it, the same form) side by side.

    `image` may be None (a blank canvas is used). Heatmaps of any resolution are stretched over
    the image's extent, shown with the `jet` colormap on a fixed [0, 1] scale (values outside
    are clipped), so un-normalised or negative maps look as they are: dim or cut.
    """
    heat = _heat(heatmap)
    img = displayable(np.zeros(heat.shape) if image is None else image)
    maps = [heat] if reference_heatmap is None else [heat, _heat(reference_heatmap)]
    names = list(titles) if titles else ["image", "your map", "reference"]
    fig, axes = _figure(1, 1 + len(maps))
    h, w = img.shape[:2]
    extent = (0, w, h, 0)
    grey = "gray" if img.ndim == 2 else None
    axes[0, 0].imshow(img, cmap=grey, vmin=0, vmax=1, extent=extent)
    for ax, hm in zip(axes[0, 1:], maps, strict=True):
        ax.imshow(img, cmap=grey, vmin=0, vmax=1, extent=extent)
        ax.imshow(hm, cmap="jet", vmin=0, vmax=1, alpha=0.5, extent=extent,
                  interpolation="nearest")
    for ax, name in zip(axes[0], names, strict=False):
        ax.set_title(name, fontsize=11)
    fig.tight_layout()
    return _png(fig)


def augmentation_grid_png(images: Any, *, cols: int = 4, titles: Sequence[str] | None = None) -> bytes:
    """PNG grid of images ([N, H, W, C] array or a list of arrays), `cols` per row."""
    items = [displayable(im) for im in images]
    if not items:
        raise ValueError("augmentation_grid_png needs at least one image")
    cols = max(1, min(cols, len(items)))
    rows = -(-len(items) // cols)
    fig, axes = _figure(rows, cols)
    for i, img in enumerate(items):
        ax = axes[i // cols, i % cols]
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1)
        if titles and i < len(titles):
            ax.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    return _png(fig)
