"""classification_metrics implementations: correct variants and realistic mistakes."""

import numpy as np
import tensorflow as tf


def _cm(y_true, y_pred, k):
    cm = np.zeros((k, k), dtype=int)
    for t, p in zip(y_true, y_pred, strict=True):
        cm[t, p] += 1
    return cm


def correct_numpy(y_true, y_pred, num_classes):
    cm = _cm(y_true, y_pred, num_classes)
    tp = np.diag(cm)
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.nan_to_num(tp / cm.sum(0))
        rec = np.nan_to_num(tp / cm.sum(1))
        f1 = np.nan_to_num(2 * prec * rec / (prec + rec))
    return {"confusion_matrix": cm, "precision_macro": prec.mean(), "recall_macro": rec.mean(),
            "f1_macro": f1.mean(), "accuracy": tp.sum() / cm.sum()}


def correct_tf(y_true, y_pred, num_classes):
    cm = tf.math.confusion_matrix(y_true, y_pred, num_classes=num_classes).numpy()
    tp = np.diag(cm).astype(float)
    prec = np.divide(tp, cm.sum(0), out=np.zeros(num_classes), where=cm.sum(0) > 0)
    rec = np.divide(tp, cm.sum(1), out=np.zeros(num_classes), where=cm.sum(1) > 0)
    f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros(num_classes), where=prec + rec > 0)
    return dict(confusion_matrix=cm, precision_macro=float(prec.mean()),
                recall_macro=float(rec.mean()), f1_macro=float(f1.mean()),
                accuracy=float(np.mean(np.asarray(y_true) == np.asarray(y_pred))))


def correct_loop(y_true, y_pred, num_classes):
    ps, rs, fs = [], [], []
    for c in range(num_classes):
        tp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == c and p == c)
        fp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t != c and p == c)
        fn = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == c and p != c)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        ps.append(p)
        rs.append(r)
        fs.append(2 * p * r / (p + r) if p + r else 0.0)
    return {"confusion_matrix": _cm(y_true, y_pred, num_classes).tolist(),
            "precision_macro": sum(ps) / num_classes, "recall_macro": sum(rs) / num_classes,
            "f1_macro": sum(fs) / num_classes,
            "accuracy": sum(int(t == p) for t, p in zip(y_true, y_pred, strict=True)) / len(y_true)}


def micro_average(y_true, y_pred, num_classes):
    out = correct_numpy(y_true, y_pred, num_classes)
    acc = out["accuracy"]
    out.update(precision_macro=acc, recall_macro=acc, f1_macro=acc)
    return out


def transposed(y_true, y_pred, num_classes):
    cm = _cm(y_pred, y_true, num_classes)  # rows = predicted: transposed
    tp = np.diag(cm)
    prec = np.nan_to_num(tp / np.maximum(cm.sum(1), 1))
    rec = np.nan_to_num(tp / np.maximum(cm.sum(0), 1))
    f1 = np.nan_to_num(2 * prec * rec / np.maximum(prec + rec, 1e-12))
    return {"confusion_matrix": cm, "precision_macro": prec.mean(), "recall_macro": rec.mean(),
            "f1_macro": f1.mean(), "accuracy": tp.sum() / cm.sum()}


def weighted_average(y_true, y_pred, num_classes):
    out = correct_numpy(y_true, y_pred, num_classes)
    cm = out["confusion_matrix"]
    support = cm.sum(1) / cm.sum()
    tp = np.diag(cm)
    prec = np.divide(tp, cm.sum(0), out=np.zeros(num_classes), where=cm.sum(0) > 0)
    rec = tp / cm.sum(1)
    f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros(num_classes), where=prec + rec > 0)
    out.update(precision_macro=float(prec @ support), recall_macro=float(rec @ support),
               f1_macro=float(f1 @ support))
    return out


def f1_from_macros(y_true, y_pred, num_classes):
    out = correct_numpy(y_true, y_pred, num_classes)
    p, r = out["precision_macro"], out["recall_macro"]
    out["f1_macro"] = 2 * p * r / (p + r)
    return out


def nan_ignored(y_true, y_pred, num_classes):
    cm = _cm(y_true, y_pred, num_classes)
    tp = np.diag(cm)
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = tp / cm.sum(0)
        rec = tp / cm.sum(1)
        f1 = 2 * prec * rec / (prec + rec)
    return {"confusion_matrix": cm, "precision_macro": float(np.nanmean(prec)),
            "recall_macro": float(np.nanmean(rec)), "f1_macro": float(np.nanmean(f1)),
            "accuracy": tp.sum() / cm.sum()}


def missing_key(y_true, y_pred, num_classes):
    out = correct_numpy(y_true, y_pred, num_classes)
    del out["accuracy"]
    return out


def present_classes_only(y_true, y_pred, num_classes):
    # confusion matrix only over the classes that appear in y_pred
    k = int(np.max(y_pred)) + 1
    out = correct_numpy(y_true, np.minimum(y_pred, k - 1), k)
    return out


def f1_guard_too_strict(y_true, y_pred, num_classes):
    # F1 only where precision + recall > 1 (a `> 0` guard mistyped): a class the model mostly
    # misses gets F1 0 instead of 2PR/(P+R) (issue 15's pets classification_metrics#35)
    cm = _cm(y_true, y_pred, num_classes)
    tp = np.diag(cm).astype(float)
    prec = np.divide(tp, cm.sum(0), out=np.zeros(num_classes), where=cm.sum(0) > 0)
    rec = np.divide(tp, cm.sum(1), out=np.zeros(num_classes), where=cm.sum(1) > 0)
    f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros(num_classes), where=prec + rec > 1)
    return {"confusion_matrix": cm, "precision_macro": prec.mean(), "recall_macro": rec.mean(),
            "f1_macro": f1.mean(), "accuracy": tp.sum() / cm.sum()}


CASES = [
    ("correct_numpy", correct_numpy, None),
    ("correct_tf", correct_tf, None),
    ("correct_loop", correct_loop, None),
    ("micro_average", micro_average, "metrics_precision"),
    ("transposed", transposed, "metrics_confusion_matrix"),
    ("weighted_average", weighted_average, "metrics_precision"),
    ("f1_from_macros", f1_from_macros, "metrics_f1"),
    ("f1_guard_too_strict", f1_guard_too_strict, "metrics_f1"),
    ("nan_ignored", nan_ignored, "metrics_zero_division"),
    ("missing_key", missing_key, "metrics_keys"),
]
