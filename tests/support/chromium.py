"""Headless Chromium screenshots for the report tests (skipped where Chromium is not installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

CHROMIUM = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome", "chrome")
                 if shutil.which(b)), None)
MISSING = "headless Chromium not installed (apt-get install -y chromium)"


def screenshot(page: Path, shot: Path, width: int, height: int) -> Any:
    """Render `page` at width x height into `shot`; the picture as an array (H, W, channels)."""
    import matplotlib.image as mpimg

    assert CHROMIUM is not None, MISSING
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--window-size={width},{height}", f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return mpimg.imread(shot)
