"""lr_sweep implementations: correct variants and realistic mistakes."""

import numpy as np


def correct_loop(learning_rates, train_fn):
    results = {}
    for lr in learning_rates:
        history = train_fn(lr)
        results[lr] = max(history["val_accuracy"])
    return results


def correct_comprehension(learning_rates, train_fn):
    return {lr: float(np.max(train_fn(lr).history["val_accuracy"])) for lr in learning_rates}


def last_epoch(learning_rates, train_fn):
    return {lr: train_fn(lr)["val_accuracy"][-1] for lr in learning_rates}


def train_accuracy(learning_rates, train_fn):
    return {lr: max(train_fn(lr)["accuracy"]) for lr in learning_rates}


def mean_accuracy(learning_rates, train_fn):
    return {lr: float(np.mean(train_fn(lr)["val_accuracy"])) for lr in learning_rates}


def same_lr(learning_rates, train_fn):
    best = max(train_fn(learning_rates[0])["val_accuracy"])
    return {lr: best for lr in learning_rates}


def list_instead_of_dict(learning_rates, train_fn):
    return [max(train_fn(lr)["val_accuracy"]) for lr in learning_rates]


def string_keys_subset(learning_rates, train_fn):
    return {f"{lr:g}": max(train_fn(lr)["val_accuracy"]) for lr in learning_rates[:-1]}


CASES = [
    ("correct_loop", correct_loop, None),
    ("correct_comprehension", correct_comprehension, None),
    ("last_epoch", last_epoch, "lr_sweep_best"),
    ("train_accuracy", train_accuracy, "lr_sweep_best"),
    ("mean_accuracy", mean_accuracy, "lr_sweep_best"),
    ("same_lr", same_lr, "lr_sweep_best"),
    ("list_instead_of_dict", list_instead_of_dict, "lr_sweep_keys"),
    ("string_keys_subset", string_keys_subset, "lr_sweep_keys"),
]
