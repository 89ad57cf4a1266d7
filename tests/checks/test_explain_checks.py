"""Explain checks: failure plumbing, messages, sandbox-safe models, reference implementation."""

import re
import tempfile
from pathlib import Path

import keras
import numpy as np
import pytest

from autograder.checks import _explain_models as km
from autograder.checks import explain, integrated_gradients, references
from autograder.messages import catalog

ref = references.load("explain")

CHECKS = [
    (explain.check_gradcam, 6),
    (explain.check_gradcam_plus_plus, 7),
    (integrated_gradients.check_integrated_gradients, 5),
]


def _raise_not_implemented(*args, **kwargs):
    raise NotImplementedError()


def _raise_value_error(*args, **kwargs):
    raise ValueError("boom")


@pytest.mark.parametrize("check, n", CHECKS)
@pytest.mark.parametrize("fn, status", [(None, "not_implemented"),
                                        (_raise_not_implemented, "not_implemented"),
                                        (_raise_value_error, "error")])
def test_every_check_fails_cleanly_when_the_function_breaks(check, n, fn, status):
    results = check(fn)
    assert len(results) == n
    assert all(not r.passed and r.score == 0 and r.status == status for r in results)
    assert len({r.name for r in results}) == n
    assert all(r.message for r in results)


def _reference_student(plus_plus=False):
    def make_heatmap(img_array, model, last_conv_layer_name, pred_index=None):
        return ref.gradcam(img_array, model, last_conv_layer_name, pred_index,
                           plus_plus=plus_plus)
    return make_heatmap


def _through_keras_file(fn):
    """Simulate the sandbox proxy: every model crosses as a .keras file loaded in safe mode."""
    def proxy(*args, **kwargs):
        out = []
        with tempfile.TemporaryDirectory() as tmp:
            for i, arg in enumerate(args):
                if isinstance(arg, keras.Model):
                    path = Path(tmp) / f"m{i}.keras"
                    arg.save(path)
                    arg = keras.saving.load_model(path, safe_mode=True)
                out.append(arg)
            return fn(*out, **kwargs)
    return proxy


@pytest.mark.parametrize("plus_plus", [False, True])
def test_reference_passes_its_own_checks_through_keras_files(plus_plus):
    check = explain.check_gradcam_plus_plus if plus_plus else explain.check_gradcam
    results = check(_through_keras_file(_reference_student(plus_plus)), lang="en")
    assert [r.name for r in results if not r.passed] == []


def test_reference_ig_passes_through_keras_files():
    seen = []

    def student(model, image, target_class_idx, baseline=None, m_steps=50):
        seen.append(m_steps)
        return ref.integrated_gradients(model, image, target_class_idx, baseline, m_steps,
                                        rule="right")

    results = integrated_gradients.check_integrated_gradients(_through_keras_file(student), m_steps=64)
    assert [r.name for r in results if not r.passed] == []
    assert set(seen) == {64}
    integrated_gradients.check_integrated_gradients(student, m_steps=10)
    assert seen[-1] == 50  # completeness is only judged at m_steps >= 50


def test_messages_default_to_spanish_and_switch_to_english():
    es = explain.check_gradcam(_raise_value_error)[0].message
    en = explain.check_gradcam(_raise_value_error, lang="en")[0].message
    assert "lanzó" in es and "raised" in en
    wrong = explain.check_gradcam_plus_plus(_reference_student(False))
    failed = next(r for r in wrong if r.name == "gradcampp_vs_gradcam")
    assert "Grad-CAM++" in failed.message and "ReLU" in failed.hint and "esperaba" in failed.message


def test_every_message_key_used_exists_in_both_languages():
    source = Path(explain.__file__).read_text()
    keys = set(re.findall(r'msg\(CAT, "([a-z_0-9]+)"', source))
    keys |= {f"quadrant_{q}" for q in range(4)} | {"res_conv", "res_input"}
    keys |= set(re.findall(r'"(hint_[a-z_]+)" if', source))
    entries = catalog("explain")
    assert keys - set(entries) == set()
    assert all({"es", "en"} <= set(entries[k]) for k in entries)


def test_pictures_are_attached():
    results = {r.name: r for r in explain.check_gradcam(_reference_student())}
    for name in ("gradcam_localization", "gradcam_reference"):
        pic = results[name].picture
        assert pic.kind == "heatmap" and pic.image is not None
        assert pic.heatmap.ndim == 2 and pic.reference.shape == pic.heatmap.shape
    ig = {r.name: r for r in integrated_gradients.check_integrated_gradients(
        lambda m, x, c, baseline=None, m_steps=50: ref.integrated_gradients(
            m, x, c, baseline, m_steps))}
    assert ig["ig_completeness"].picture.heatmap.shape == km.ig_image().shape[:2]


def test_contract_reports_which_resolution_it_found():
    def upsampled(img_array, model, name, pred_index=None):
        cam = ref.gradcam(img_array, model, name, pred_index)
        factor = img_array.shape[1] // cam.shape[0]
        return np.kron(cam, np.ones((factor, factor)))  # nearest-neighbour upsampling

    conv = explain.check_gradcam(_reference_student(), lang="en")[0]
    inp = explain.check_gradcam(upsampled, lang="en")[0]
    assert conv.details["resolution"] == "conv" and "conv map" in conv.message
    assert inp.details["resolution"] == "input" and "input" in inp.message
    assert all(r.passed for r in explain.check_gradcam(upsampled))


def test_results_are_deterministic():
    a = [r.to_dict() for r in explain.check_gradcam(_reference_student())]
    b = [r.to_dict() for r in explain.check_gradcam(_reference_student())]
    assert a == b


# ------------------------------------------------------------------ reference implementation


def test_reference_handles_nested_models_like_flat_ones():
    flat, nested = km.quadrant_case(), km.quadrant_case(nested=True)
    for cls in range(4):
        for pp in (False, True):
            a = ref.gradcam(flat.image, flat.model, flat.layer_name, cls, plus_plus=pp)
            b = ref.gradcam(nested.image, nested.model, nested.layer_name, cls, plus_plus=pp)
            np.testing.assert_allclose(a, b, atol=1e-5)


def test_tutorial_recipe_fails_on_nested_models_in_keras3():
    """DESIGN.md section 10: the reason the nested check exists."""
    case = km.quadrant_case(nested=True)
    with pytest.raises(ValueError):
        keras.Model(case.model.inputs, [case.model.get_layer(case.layer_name).output,
                                        case.model.output])


def test_known_answer_models_localize_for_the_reference():
    case = km.quadrant_case()
    probs = case.model(case.image).numpy()[0]
    assert int(np.argmax(probs)) == 2
    for cls in range(4):
        cam = ref.gradcam(case.image, case.model, case.layer_name, cls)
        assert case.regions[cls].flat[int(np.argmax(cam))]
        assert cam[case.regions[cls]].sum() / cam.sum() > 0.95


def test_plus_plus_case_separates_the_methods():
    case = km.plus_plus_case()
    gc = ref.gradcam(case.image, case.model, case.layer_name, 0)
    pp = ref.gradcam(case.image, case.model, case.layer_name, 0, plus_plus=True)
    assert gc[case.regions[0]].max() == 0.0 and gc[case.regions[1]].mean() > 0.9
    assert pp[case.regions[0]].mean() > 0.9


def test_plus_plus_weights_formula():
    g = np.array([[[2.0]], [[-1.0]]])          # 2x1 map, one channel
    a = np.array([[[1.0]], [[3.0]]])           # sum A = 4
    # alpha = g^2 / (2 g^2 + 4 g^3): at g=2: 4/(8+32)=0.1; weight = 0.1 * ReLU(2) = 0.2
    np.testing.assert_allclose(ref.plus_plus_weights(g, a), [0.2])


@pytest.mark.parametrize("rule", ["trapezoid", "right", "left"])
def test_reference_ig_is_complete_on_the_gentle_model(rule):
    model, image = km.ig_model(), km.ig_image()
    f = lambda x: model(x[None]).numpy()[0]  # noqa: E731
    for cls in range(3):
        attr = ref.integrated_gradients(model, image, cls, rule=rule)
        expected = f(image)[cls] - f(np.zeros_like(image))[cls]
        assert abs(attr.sum() - expected) < 0.02 * abs(expected)
        assert np.abs(attr[km.ig_ignored_mask()]).max() == 0.0


def test_gradient_times_input_is_far_from_complete_on_the_gentle_model():
    """Calibration guard: the IG model is curved enough that alphas-all-one cannot pass."""
    import tensorflow as tf

    model, image = km.ig_model(), km.ig_image()
    x = tf.convert_to_tensor(image[None])
    for cls in range(3):
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = model(x)[:, cls]
        gxi = float((tape.gradient(score, x)[0].numpy() * image).sum())
        expected = float(model(image[None])[0, cls] - model(np.zeros_like(image)[None])[0, cls])
        assert abs(gxi - expected) > 4 * integrated_gradients.IG_TOL * abs(expected)
