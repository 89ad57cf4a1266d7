"""Mutation operators (`autograder.authoring.mutants`): each slip produces the expected code, in
a deterministic order, never touching the docstring or the signature's defaults."""

from __future__ import annotations

import ast

import nbformat
import pytest

from autograder.authoring.mutants import Operator, function_source, mutants_of, sample

SRC = '''
def f(x, y, lam, training=True):
    """Mix x and y. 0.5"""
    z = lam * x + (1 - lam) * y
    w = tf.reduce_mean(z, axis=(0, 1))
    v = tf.maximum(w, 0.0)
    if training:
        v = layer(v, training=True)
    u = tf.nn.relu(v, name="r")
    return tf.transpose(u) / tf.reduce_max(u)
'''


def _by_op(op: Operator) -> set[str]:
    return {m.source for m in mutants_of(SRC, "f") if m.operator is op}


def _has(op: Operator, line: str) -> bool:
    return any(line in src.splitlines() or line in src for src in _by_op(op))


@pytest.mark.parametrize("op, line", [
    (Operator.ARITH, "    z = lam * x - (1 - lam) * y"),
    (Operator.ARITH, "    z = lam / x + (1 - lam) * y"),
    (Operator.ARITH, "    z = lam * x + (lam - 1) * y"),
    (Operator.CONST, "    z = lam * x + (0 - lam) * y"),
    (Operator.CONST, "    v = tf.maximum(w, 1.0)"),
    (Operator.AXIS, "    w = tf.reduce_mean(z, axis=(0,))"),
    (Operator.AXIS, "    w = tf.reduce_mean(z, axis=(1,))"),
    (Operator.AXIS, "    w = tf.reduce_mean(z)"),
    (Operator.DROP, "    v = w"),
    (Operator.DROP, "    u = v"),
    (Operator.DROP, "    return tf.transpose(u)"),
    (Operator.SWAP_ARGS, "    z = (1 - lam) * x + lam * y"),
    (Operator.TRANSPOSE, "    return u / tf.reduce_max(u)"),
    (Operator.TRAINING, "        v = layer(v, training=False)"),
    (Operator.TRAINING, "    if not training:"),
    (Operator.REDUCE, "    w = tf.reduce_sum(z, axis=(0, 1))"),
    (Operator.RETURN_INPUT, "    return x"),
])
def test_operator_produces_expected_code(op, line):
    assert _has(op, line), f"{op.value}: no mutant with {line!r}:\n" + "\n---\n".join(_by_op(op))


def test_statement_deletion_and_transpose_added():
    deleted = _by_op(Operator.DELETE)
    assert any("tf.maximum" not in s for s in deleted)  # `v = tf.maximum(...)` deleted
    assert any(s.count("    if training:") == 1 and "layer(v" not in s for s in deleted)
    assert any("np.transpose(tf.transpose(u) / tf.reduce_max(u))" in s
               for s in _by_op(Operator.TRANSPOSE))


def test_every_mutant_is_a_valid_distinct_def_with_docstring_and_signature_intact():
    mutants = mutants_of(SRC, "f")
    original = ast.unparse(ast.parse(SRC).body[0])
    sources = [m.source for m in mutants]
    assert len(set(sources)) == len(sources) and original not in sources
    for m in mutants:
        fdef = ast.parse(m.source).body[0]
        assert isinstance(fdef, ast.FunctionDef) and fdef.name == "f"
        assert ast.get_docstring(fdef) == "Mix x and y. 0.5"
        assert m.source.splitlines()[0] == "def f(x, y, lam, training=True):"
        assert m.diff.startswith("@@") and "\n-" in m.diff
    assert [m.id for m in mutants] == [f"f#{i}" for i in range(len(mutants))]


def test_order_is_deterministic_and_sampling_is_seeded_and_spread():
    assert mutants_of(SRC, "f") == mutants_of(SRC, "f")
    g = SRC.replace("def f(", "def g(")
    both = mutants_of(SRC, "f") + mutants_of(g, "g")
    a, b = sample(both, 10, seed=1), sample(both, 10, seed=1)
    assert a == b and len(a) == 10
    assert sample(both, 10, seed=2) != a
    assert {m.func for m in a} == {"f", "g"} and sum(m.func == "f" for m in a) == 5
    assert [both.index(m) for m in a] == sorted(both.index(m) for m in a)
    assert sample(both, None, seed=1) == both


def test_function_source_reads_the_last_definition_and_magics():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def f(x):\n    return x + 1"),
                nbformat.v4.new_code_cell("%matplotlib inline\ndef f(x):\n    return x * 2")]
    assert function_source(nb, "f") == "def f(x):\n    return x * 2"
    assert function_source(nb, "g") is None
    with pytest.raises(ValueError):
        mutants_of("x = 1", "f")
