"""Mutation operators: AST rewrites of a reference function that model students' slips.

`mutants_of(source, func)` parses one function definition and returns every `Mutant` (a whole
mutated `def`, ready to exec) in a deterministic order: nodes in `ast.walk` order, then the
operators in `Operator` order, then each operator's variants. `sample(mutants, limit, seed)`
picks a bounded, reproducible subset spread over the functions. `function_source(nb, func)`
finds the reference's definition in a notebook. Mutants whose code equals the original (or an
earlier mutant) are dropped. Standard library only.
"""

from __future__ import annotations

import ast
import copy
import difflib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from autograder.authoring.markers import python_source


class Operator(StrEnum):
    """The kinds of slip (the value is what reports show)."""

    ARITH = "arith"              # + <-> -, * <-> /, // -> /, ** -> *; a - b -> b - a
    CONST = "const"              # 0 <-> 1, 0.5 -> 1.0, n -> n + 1
    AXIS = "axis"                # axis=k changed, a tuple axis shortened, axis= removed
    DROP = "drop"                # tf.maximum(x, 0)/ReLU/softmax/normalisation/preprocessing dropped
    SWAP_ARGS = "swap_args"      # f(a, b) -> f(b, a); lam*a + (1-lam)*b -> (1-lam)*a + lam*b
    TRANSPOSE = "transpose"      # a transpose removed, or added to a returned value
    TRAINING = "training"        # training=True <-> False, `if training` negated
    REDUCE = "reduce"            # reduce_mean <-> reduce_sum, mean <-> sum
    DELETE = "delete"            # one statement deleted
    RETURN_INPUT = "return_input"  # the body replaced by returning the input(s) unchanged


@dataclass(frozen=True)
class Mutant:
    """One mutated function: `source` is the whole mutated `def` (exec it to swap)."""

    id: str
    func: str
    operator: Operator
    line: int          # 1-based line in the original function source
    description: str
    source: str
    diff: str          # a few unified-diff lines (original -> mutant), no headers


Rewrite = Callable[[ast.AST], ast.AST | None]  # copy of the node -> replacement (None: delete)

_ARITH_SWAP: dict[type, type] = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div,
                                 ast.Div: ast.Mult, ast.FloorDiv: ast.Div, ast.Pow: ast.Mult}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
           ast.Pow: "**", ast.MatMult: "@"}
_REDUCE_SWAP = {"reduce_mean": "reduce_sum", "reduce_sum": "reduce_mean", "mean": "sum",
                "sum": "mean"}
_ACTIVATIONS = {"relu", "softmax", "sigmoid", "leaky_relu", "gelu", "elu", "abs"}
_PASS_THROUGH = {"preprocess_input", "divide_no_nan", "l2_normalize", "normalize", "clip",
                 "clip_by_value", "transpose", "squeeze"}
_NORMALISERS = {"reduce_max", "reduce_sum", "max", "sum", "norm", "std", "reduce_std",
                "sqrt", "reduce_mean", "mean"}
_TRANSPOSE = {"transpose", "swapaxes", "moveaxis"}


def _callee(node: ast.AST) -> str:
    """Last name of a call's function (`tf.nn.relu` -> "relu"), else ""."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _is_number(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and type(node.value) in (int, float))


def _number_variants(value: int | float) -> list[int | float]:
    if isinstance(value, int):
        return [1] if value == 0 else [0] if value == 1 else [value + 1]
    if value == 0.0:
        return [1.0]
    if value == 1.0:
        return [0.0]
    return [value * 2]


def _set(attr: str, value: Any) -> Rewrite:
    def rewrite(node: ast.AST) -> ast.AST:
        setattr(node, attr, value)
        return node
    return rewrite


def _arith(node: ast.AST) -> Iterator[tuple[str, Rewrite]]:
    if not isinstance(node, ast.BinOp):
        return
    op = type(node.op)
    if op in _ARITH_SWAP:
        new = _ARITH_SWAP[op]
        yield f"`{_SYMBOL[op]}` -> `{_SYMBOL[new]}`", _set("op", new())
    if op in (ast.Sub, ast.Div, ast.MatMult):
        def swap(n: ast.AST) -> ast.AST:
            n.left, n.right = n.right, n.left
            return n
        yield f"operands of `{_SYMBOL[op]}` swapped", swap


def _const(node: ast.AST) -> Iterator[tuple[str, Rewrite]]:
    if _is_number(node):
        for v in _number_variants(node.value):
            yield f"`{node.value!r}` -> `{v!r}`", _set("value", v)


def _axis(node: ast.AST) -> Iterator[tuple[str, Rewrite]]:
    if not isinstance(node, ast.Call):
        return
    for k, kw in enumerate(node.keywords):
        if kw.arg != "axis":
            continue
        val = kw.value
        if isinstance(val, ast.UnaryOp) and isinstance(val.op, ast.USub) and _is_number(val.operand):
            yield "`axis=-k` -> `axis=0`", _kw_value(k, ast.Constant(0))
        elif _is_number(val):
            yield f"`axis={val.value}` -> `axis={val.value + 1}`", _kw_value(k, ast.Constant(val.value + 1))
        elif isinstance(val, ast.Tuple) and len(val.elts) > 1:
            yield "last axis dropped from the tuple", _kw_value(k, ast.Tuple(val.elts[:-1], ast.Load()))
            yield "first axis dropped from the tuple", _kw_value(k, ast.Tuple(val.elts[1:], ast.Load()))
        yield "`axis=` removed", _drop_kw(k)


def _kw_value(k: int, value: ast.AST) -> Rewrite:
    def rewrite(n: ast.AST) -> ast.AST:
        n.keywords[k].value = value
        return n
    return rewrite


def _drop_kw(k: int) -> Rewrite:
    def rewrite(n: ast.AST) -> ast.AST:
        del n.keywords[k]
        return n
    return rewrite


def _first_arg(n: ast.AST) -> ast.AST:
    return n.args[0]


def _drop(node: ast.AST) -> Iterator[tuple[str, Rewrite]]:
    if isinstance(node, ast.Call):
        name = _callee(node)
        plain_first = node.args and not isinstance(node.args[0], ast.Starred)
        if name in ("maximum", "minimum") and len(node.args) == 2:
            other = 1 if _is_number(node.args[1]) else 0 if _is_number(node.args[0]) else None
            if other is not None:
                yield f"`{name}(x, c)` dropped", lambda n, o=1 - other: n.args[o]
        elif plain_first and (name in _ACTIVATIONS or name in _PASS_THROUGH - _TRANSPOSE):
            yield f"`{name}(...)` dropped", _first_arg
        for k, kw in enumerate(node.keywords):
            if kw.arg == "activation":
                yield "`activation=` removed (linear)", _drop_kw(k)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and \
            _callee(node.right) in _NORMALISERS:
        yield f"normalisation by `{_callee(node.right)}(...)` dropped", lambda n: n.left


def _swap_args(node: ast.AST) -> Iterator[tuple[str, Rewrite]]:
    if isinstance(node, ast.Call) and len(node.args) >= 2 and not any(
            isinstance(a, ast.Starred | ast.Constant | ast.Attribute) for a in node.args[:2]):
        def swap(n: ast.AST) -> ast.AST:
            n.args[0], n.args[1] = n.args[1], n.args[0]
            return n
        yield f"first two arguments of `{_callee(node) or 'call'}` swapped", swap
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and all(
            isinstance(s, ast.BinOp) and isinstance(s.op, ast.Mult) for s in (node.left, node.right)):
        def weights(n: ast.AST) -> ast.AST:
            n.left.left, n.right.left = n.right.left, n.left.left
            return n
        yield "weights of a weighted sum swapped (`a*x + b*y` -> `b*x + a*y`)", weights


def _transpose(node: ast.AST) -> Iterator[tuple[str, Rewrite]]:
    if isinstance(node, ast.Call) and _callee(node) in _TRANSPOSE and node.args:
        yield f"`{_callee(node)}(...)` removed", _first_arg
    if isinstance(node, ast.Attribute) and node.attr == "T":
        yield "`.T` removed", lambda n: n.value
    if isinstance(node, ast.Return) and node.value is not None:
        target = node.value.elts[0] if isinstance(node.value, ast.Tuple) and node.value.elts \
            else node.value
        if not isinstance(target, ast.Constant | ast.Starred) and not _callee(target)[:1].isupper():
            def add(n: ast.AST) -> ast.AST:
                wrap = lambda v: ast.Call(  # noqa: E731
                    ast.Attribute(ast.Name("np", ast.Load()), "transpose", ast.Load()), [v], [])
                if isinstance(n.value, ast.Tuple):
                    n.value.elts[0] = wrap(n.value.elts[0])
                else:
                    n.value = wrap(n.value)
                return n
            yield "transpose added to the returned value", add


def _training(node: ast.AST) -> Iterator[tuple[str, Rewrite]]:
    if isinstance(node, ast.Call):
        for k, kw in enumerate(node.keywords):
            if kw.arg in ("training", "trainable") and isinstance(kw.value, ast.Constant) \
                    and isinstance(kw.value.value, bool):
                yield (f"`{kw.arg}={kw.value.value}` -> `{not kw.value.value}`",
                       _kw_value(k, ast.Constant(not kw.value.value)))
    if isinstance(node, ast.If | ast.IfExp) and isinstance(node.test, ast.Name) and \
            node.test.id in ("training", "is_training", "augment"):
        yield f"`if {node.test.id}` negated", _set("test", ast.UnaryOp(ast.Not(), node.test))


def _reduce(node: ast.AST) -> Iterator[tuple[str, Rewrite]]:
    if isinstance(node, ast.Call) and _callee(node) in _REDUCE_SWAP:
        name, new = _callee(node), _REDUCE_SWAP[_callee(node)]

        def rename(n: ast.AST) -> ast.AST:
            if isinstance(n.func, ast.Attribute):
                n.func.attr = new
            else:
                n.func.id = new
            return n
        yield f"`{name}` -> `{new}`", rename


def _delete(node: ast.AST) -> Iterator[tuple[str, Rewrite]]:
    if isinstance(node, ast.stmt) and not isinstance(
            node, ast.Return | ast.FunctionDef | ast.Pass | ast.Global | ast.Nonlocal) and not (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
        yield f"statement deleted (`{ast.unparse(node).splitlines()[0][:60]}`)", lambda n: None


_OPERATORS: dict[Operator, Callable[[ast.AST], Iterator[tuple[str, Rewrite]]]] = {
    Operator.ARITH: _arith, Operator.CONST: _const, Operator.AXIS: _axis, Operator.DROP: _drop,
    Operator.SWAP_ARGS: _swap_args, Operator.TRANSPOSE: _transpose,
    Operator.TRAINING: _training, Operator.REDUCE: _reduce, Operator.DELETE: _delete,
}


def _replace(root: ast.AST, target: ast.AST, new: ast.AST | None) -> None:
    """Put `new` where `target` is in `root` (None: remove a statement; `pass` if a body empties)."""
    for parent in ast.walk(root):
        for field, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, field, new)
                return
            if isinstance(value, list) and any(v is target for v in value):
                i = next(i for i, v in enumerate(value) if v is target)
                if new is None:
                    del value[i]
                    if not value and field in ("body", "finalbody"):
                        value.append(ast.Pass())
                else:
                    value[i] = new
                return
    raise ValueError("node not found")


def _is_docstring(fdef: ast.FunctionDef, node: ast.AST) -> bool:
    first = fdef.body[0] if fdef.body else None
    return isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and (
        node is first or node is first.value)


def _return_input(fdef: ast.FunctionDef) -> tuple[str, ast.FunctionDef] | None:
    params = [a.arg for a in fdef.args.posonlyargs + fdef.args.args]
    if not params:
        return None
    returns = [n for n in ast.walk(fdef) if isinstance(n, ast.Return) and n.value is not None]
    width = len(returns[-1].value.elts) if returns and isinstance(returns[-1].value, ast.Tuple) else 1
    names = params[:width] if width <= len(params) else params[:1]
    value = ast.Name(names[0], ast.Load()) if len(names) == 1 else \
        ast.Tuple([ast.Name(p, ast.Load()) for p in names], ast.Load())
    new = copy.deepcopy(fdef)
    doc = [new.body[0]] if _is_docstring(new, new.body[0]) else []
    new.body = doc + [ast.Return(value)]
    return f"returns its input unchanged (`return {ast.unparse(value)}`)", new


def find_function(source: str, func: str) -> ast.FunctionDef | None:
    """The last top-level `def func` in a cell's source (None when absent or unparsable)."""
    try:
        tree = ast.parse(python_source(source))
    except SyntaxError:
        return None
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == func]
    return defs[-1] if defs else None


def function_source(nb: Any, func: str) -> str | None:
    """Normalised source (`ast.unparse`) of the notebook's last top-level `def func`."""
    found = None
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            fdef = find_function(cell.get("source", ""), func)
            found = fdef if fdef is not None else found
    return ast.unparse(found) if found is not None else None


def _diff(before: str, after: str, context: int = 1) -> str:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=context)
    return "\n".join(x for x in lines if not x.startswith(("---", "+++")))


def mutants_of(source: str, func: str) -> list[Mutant]:
    """Every distinct mutant of `def func` in `source`, in deterministic order."""
    fdef = find_function(source, func)
    if fdef is None:
        raise ValueError(f"no top-level `def {func}` in the source")
    original = ast.unparse(fdef)
    seen = {original}
    out: list[Mutant] = []

    def add(op: Operator, line: int, text: str, tree: ast.AST) -> None:
        code = ast.unparse(ast.fix_missing_locations(tree))
        if code in seen:
            return
        seen.add(code)
        out.append(Mutant(f"{func}#{len(out)}", func, op, line, text, code, _diff(original, code)))

    nodes = list(ast.walk(fdef))
    signature = {id(n) for n in ast.walk(fdef.args)}  # defaults: the checks pass every argument
    for i, node in enumerate(nodes):
        if _is_docstring(fdef, node) or node is fdef or id(node) in signature:
            continue
        for op, variants in _OPERATORS.items():
            for text, rewrite in variants(node):
                tree = copy.deepcopy(fdef)
                target = list(ast.walk(tree))[i]
                _replace(tree, target, rewrite(target))
                add(op, getattr(node, "lineno", fdef.lineno) - fdef.lineno + 1, text, tree)
    ret = _return_input(fdef)
    if ret is not None:
        add(Operator.RETURN_INPUT, 1, *ret)
    return out


def sample(mutants: list[Mutant], limit: int | None, seed: int) -> list[Mutant]:
    """At most `limit` mutants, spread over the functions: each function's mutants shuffled
    with `seed`, then taken round-robin; returned in generation order. None: all of them."""
    if limit is None or limit >= len(mutants):
        return list(mutants)
    by_func: dict[str, list[Mutant]] = {}
    for m in mutants:
        by_func.setdefault(m.func, []).append(m)
    queues = []
    for func, ms in by_func.items():
        ms = list(ms)
        random.Random(f"{seed}:{func}").shuffle(ms)
        queues.append(ms)
    picked: list[Mutant] = []
    while len(picked) < limit:
        for q in queues:
            if q and len(picked) < limit:
                picked.append(q.pop(0))
    order = {m.id: k for k, m in enumerate(mutants)}
    return sorted(picked, key=lambda m: order[m.id])
