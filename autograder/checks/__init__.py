"""Property checks: plain functions returning `list[CheckResult]`.

Modules: mixing (Mixup/CutMix), augment, pipeline, model, training (CPU learnability),
explain (Grad-CAM, Grad-CAM++, Integrated Gradients), metrics (TTA, metrics, top-k,
embeddings, LR sweep). Shared helpers live in `base`.
"""
