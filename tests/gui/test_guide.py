"""Help > What Am I Seeing?: the stages in plain words, with the real sizes, linked."""

from __future__ import annotations

from PySide6.QtCore import QUrl

from digitpad.core.architectures import ConvChoice, custom_spec
from digitpad.core.model_io import Model, ModelMetadata
from digitpad.core.network import Network
from digitpad.gui.guide import guide_html


def test_the_guide_opens_with_f2_and_explains_each_stage(window, qtbot):
    assert not window.guide_dock.isVisible()
    window.actions["guide"].trigger()
    assert window.guide_dock.isVisible() and window.actions["guide"].isChecked()
    text = window.guide_dock.text.toPlainText()
    for words in (
        "(n + 2p − k) / s + 1 = (28 + 2·1 − 3) / 1 + 1 = 28",  # conv1, same padding
        "(14 + 2·1 − 3) / 1 + 1 = 14",  # conv2
        "32 input maps",
        "ReLU keeps every positive value",
        "keeps the largest of each 2×2 block",
        "one list of 3136 numbers",
        "These eleven are the logits: the ten digits' scores and not a digit's",
        "shares of 100 %",
    ):
        assert words in text, words
    window.guide_dock.text.anchorClicked.emit(QUrl("stage:3"))  # conv2's title
    assert window.viewer.block_index == 1 and window.viewer.selected_layer == 3
    window.guide_dock.close()
    assert not window.actions["guide"].isChecked()


def test_the_guide_follows_the_model(window, qtbot):
    window.actions["guide"].trigger()
    window.model_menu.bundled_actions["classic"].trigger()
    text = window.guide_dock.text.toPlainText()
    assert "(28 + 2·0 − 3) / 1 + 1 = 26" in text and "without padding" in text
    assert "ReLU" not in text  # the classic network has none
    assert "These ten are the logits" in text and "eleven" not in text  # ten outputs


def test_stride_two_and_global_pooling_are_explained():
    from digitpad.core.viewer import ViewerModel

    spec = custom_spec([ConvChoice(4, kernel=5, stride=2, pool="average")], global_pool=True)
    viewer = ViewerModel()
    viewer.use_model(Model(Network(spec), ModelMetadata(name="custom"), None))
    html = guide_html(viewer)
    assert "⌊(28 + 2·0 − 5) / 2⌋ + 1 = ⌊11.5⌋ + 1 = 12 (rounded down" in html
    assert "2 pixels at a time" in html
    assert "average of each 2×2 block" in html and "Global average pooling" in html


def _paragraph(viewer, name: str) -> str:
    """One stage's paragraph of the guide, by its title in the strip."""
    from digitpad.gui.guide import stage_words

    stage = next(stage for stage in viewer.stages if stage.name == name)
    return stage_words(viewer.network_shown, stage.first, stage.last)


def _viewer(model: str):
    from digitpad.core.bundled import resolve_model
    from digitpad.core.model_io import load_model
    from digitpad.core.viewer import ViewerModel

    viewer = ViewerModel()
    viewer.use_model(load_model(resolve_model(model)))
    return viewer


def test_the_dense_paragraphs_speak_of_weights_and_units_not_filters():
    default = _viewer("default")
    dense = _paragraph(default, "dense1 + relu")
    assert "filter" not in dense and "units" in dense and "weight" in dense
    assert "filter" in _paragraph(default, "conv1 + relu")  # a conv's ReLU still has them
    classic = _viewer("classic")
    assert "filter" not in _paragraph(classic, "dense1") + _paragraph(classic, "softmax")


def test_the_softmax_paragraph_gives_the_models_temperature_and_why():
    for model, temperature in (("default", "0.70"), ("classic", "1.91")):
        viewer = _viewer(model)
        assert f"{viewer.network_shown.temperature:.2f}" == temperature
        words = _paragraph(viewer, "softmax")
        assert f"divided by the model's temperature T = {temperature}" in words, words
        assert "how often it is right" in words and "never changes which digit" in words
    assert "sharper" in _paragraph(_viewer("default"), "softmax")  # T < 1
    assert "softer" in _paragraph(_viewer("classic"), "softmax")  # T > 1


def test_a_model_without_temperature_says_its_scores_go_in_unchanged():
    from digitpad.core.viewer import ViewerModel

    viewer = ViewerModel()
    viewer.use_model(Model(Network(custom_spec([ConvChoice(4)])), ModelMetadata(name="c"), None))
    words = _paragraph(viewer, "softmax")
    assert "temperature T = 1" in words and "unchanged" in words
