"""Heatmap overlay and augmentation grid PNGs: valid, deterministic, sized by panel count."""

import io

import numpy as np
import pytest
from matplotlib.image import imread

from autograder.report.pictures import augmentation_grid_png, displayable, heatmap_overlay_png

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _size(png):
    return imread(io.BytesIO(png)).shape[:2]


@pytest.fixture()
def image():
    return np.random.default_rng(0).uniform(0, 255, (32, 32, 3))


def test_overlay_is_deterministic_png_with_reference_panel(image):
    heat = np.zeros((8, 8))
    heat[1:3, 5:7] = 1.0
    a = heatmap_overlay_png(image, heat, reference_heatmap=heat)
    assert a.startswith(PNG_MAGIC)
    assert a == heatmap_overlay_png(image, heat, reference_heatmap=heat)
    three = heatmap_overlay_png(image, heat)
    (h4, w4), (h3, w3) = _size(a), _size(three)
    assert h4 == h3 and w4 > w3 * 1.2 and h3 >= 250  # large enough to read
    assert a != heatmap_overlay_png(image, heat.T, reference_heatmap=heat)


def test_overlay_accepts_batched_multichannel_and_missing_images():
    heat = np.random.default_rng(1).uniform(0, 1, (32, 32))
    for img in (np.ones((1, 32, 32, 4)), np.ones((32, 32, 1)), None):
        assert heatmap_overlay_png(img, heat).startswith(PNG_MAGIC)


def test_displayable_scales_to_unit_range():
    out = displayable(np.array([[[-5.0] * 3, [5.0] * 3]]))
    assert out.min() == 0.0 and out.max() == 1.0 and out.shape == (1, 2, 3)
    assert displayable(np.full((4, 4, 2), 7.0)).shape == (4, 4)


def test_augmentation_grid_rows_and_inputs():
    batch = np.random.default_rng(2).uniform(0, 1, (6, 16, 16, 3))
    grid = augmentation_grid_png(batch)
    assert grid == augmentation_grid_png(list(batch))
    one_row = augmentation_grid_png(batch[:4])
    assert _size(grid)[0] > _size(one_row)[0]
    with pytest.raises(ValueError):
        augmentation_grid_png([])
