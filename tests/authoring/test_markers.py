"""Marker rules of autograder.blanks (pure functions, fast)."""

import pytest

from autograder.authoring.markers import (
    MarkerError,
    Where,
    apply_blanks,
    template_code,
    template_markdown,
)
from autograder.errors import AutograderError

W = Where("ref.ipynb", 7)


def test_block_solution_keeps_indentation_and_docstring():
    src = ('def f(x):\n    """Doc: devuelve el doble."""\n    ### BEGIN SOLUTION\n    y = x * 2\n'
           '    return y\n    ### END SOLUTION\n')
    out = template_code(src, W)
    assert out == ('def f(x):\n    """Doc: devuelve el doble."""\n    # TU CÓDIGO AQUÍ\n'
                   '    raise NotImplementedError()\n')
    assert "x * 2" not in out


def test_inline_blank_replaces_first_whole_token_and_drops_comment():
    assert template_code("aug = layers.RandomRotation(0.05)  # BLANK: 0.05") == \
        "aug = layers.RandomRotation(___)"
    # first occurrence only
    assert template_code("f(0.1, 0.1)  # BLANK: 0.1") == "f(___, 0.1)"
    # several blanks on one line, left to right
    assert template_code("f(0.1, 0.1)  # BLANK: 0.1 | BLANK: 0.1") == "f(___, ___)"
    assert template_code("y = a + b * c  # BLANK: b * c") == "y = a + ___"


def test_blank_whole_string_literal_allowed():
    assert template_code('Dense(3, activation="relu")  # BLANK: "relu"') == \
        "Dense(3, activation=___)"


def test_blank_inside_string_refused():
    with pytest.raises(MarkerError, match=r"ref\.ipynb: cell 7, line 1: .*string literal"):
        template_code('print("alpha 0.5")  # BLANK: 0.5', W)


def test_blank_partial_token_refused_and_not_found():
    with pytest.raises(MarkerError, match="whole Python tokens"):
        template_code("x = 10  # BLANK: 1", W)
    with pytest.raises(MarkerError, match=r"line 2: BLANK text '3' not found"):
        template_code("a = 1\nx = 2  # BLANK: 3", W)
    with pytest.raises(MarkerError, match="empty BLANK"):
        template_code("x = 2  # BLANK: 2 | BLANK: ", W)


def test_blank_marker_inside_string_is_not_a_marker():
    src = 'x = ("""texto  # BLANK: texto\n""")'
    assert template_code(src) == src


@pytest.mark.parametrize("src,line,what", [
    ("### BEGIN SOLUTION\nx = 1\n### BEGIN SOLUTION\n### END SOLUTION\n### END SOLUTION", 3,
     "nested"),
    ("### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END SOLUTION", 2,
     "nested"),
    ("x = 1\n### END SOLUTION", 2, "without a matching"),
    ("### BEGIN SOLUTION\nx = 1", 1, "never closed"),
    ("### BEGIN HIDDEN TESTS\nassert x\n### END SOLUTION", 3, "without a matching"),
])
def test_unbalanced_or_nested_markers(src, line, what):
    with pytest.raises(MarkerError, match=rf"ref\.ipynb: cell 7, line {line}: .*{what}"):
        template_code(src, W)


def test_marker_error_is_autograder_error():
    assert issubclass(MarkerError, AutograderError)


def test_hidden_tests_removed():
    src = "x = 1\n### BEGIN HIDDEN TESTS\nassert x == 1\n### END HIDDEN TESTS\ny = 2"
    assert template_code(src) == "x = 1\ny = 2"


def test_crlf_unicode_and_magics():
    src = ('%matplotlib inline\r\n!pip install -q "tensorflow==2.21"\r\n'
           'def f(x):\r\n    """Año, niño, acción.\r\n% de aciertos en el docstring"""\r\n'
           '    tamaño = x * 0.5  # BLANK: 0.5\r\n    ### BEGIN SOLUTION\r\n    return tamaño\r\n'
           '    ### END SOLUTION\r\n')
    out = template_code(src, W)
    assert "\r" not in out
    assert out.splitlines() == [
        "%matplotlib inline", '!pip install -q "tensorflow==2.21"', "def f(x):",
        '    """Año, niño, acción.', '% de aciertos en el docstring"""',
        "    tamaño = x * ___", "    # TU CÓDIGO AQUÍ", "    raise NotImplementedError()"]


def test_blank_on_magic_line_refused():
    with pytest.raises(MarkerError, match="magic"):
        template_code("!pip install foo  # BLANK: foo", W)


def test_cell_magic_body_is_tokenized():
    assert template_code("%%time\nx = 3  # BLANK: 3") == "%%time\nx = ___"


def test_markdown_answer_region():
    src = "¿Por qué?\n\n### BEGIN SOLUTION\nPorque sí.\n### END SOLUTION"
    assert template_markdown(src) == "¿Por qué?\n\nESCRIBE TU RESPUESTA AQUÍ"
    assert template_markdown(src, lang="en").endswith("YOUR ANSWER HERE")
    with pytest.raises(MarkerError):
        template_markdown("### BEGIN SOLUTION\nsin cerrar", W)


def test_apply_blanks_leaves_regions_alone():
    src = "### BEGIN HIDDEN TESTS\ngrade('a', 'b')\n### END HIDDEN TESTS\nx = 5  # BLANK: 5"
    assert apply_blanks(src) == "### BEGIN HIDDEN TESTS\ngrade('a', 'b')\n### END HIDDEN TESTS\nx = ___"


def test_code_stub_speaks_the_assignment_language():
    """Issue 12.13: the stub students read is Spanish; English stays with lang="en"."""
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    assert "# TU CÓDIGO AQUÍ" in template_code(src)
    assert "# YOUR CODE HERE" in template_code(src, lang="en")
