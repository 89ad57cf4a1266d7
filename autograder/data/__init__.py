"""Data for grading: `modes` (inside the sandbox: mock/real tfds) and `caches` (on the host:
tfds and ImageNet weight caches, `data status`/`data fetch`)."""
