"""Words and numbers about a network for the GUI: its conv blocks, shapes, layer names."""

from __future__ import annotations

import html

from digitpad import __version__
from digitpad.core.model_io import Model


def shape_text(shape: tuple[int, ...]) -> str:
    """(C, H, W) -> 'H×W×C' as tutorials write it; (D,) -> 'D'."""
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}×{w}×{c}"
    return str(shape[0])


def model_info_html(model: Model | None) -> str:
    """Architecture, parameters, accuracy, date and training of a model, as rich text."""
    if model is None:
        return "No model loaded."
    network, meta = model.network, model.metadata
    rows = "".join(
        f"<tr><td>{name}</td><td>{shape_text(shape)}</td><td align=right>{count:,}</td></tr>"
        for name, shape, count in network.summary()
    )
    accuracy = meta.metrics.get("test_accuracy")
    training = meta.training
    lines = [
        # The name and path come from a file: escape them so they cannot inject markup.
        f"<b>{html.escape(meta.name or 'model')}</b> — {html.escape(str(model.path))}",
        f"Parameters: {network.parameter_count:,}",
        f"MNIST test accuracy: {accuracy:.2%}"
        if accuracy is not None
        else "MNIST test accuracy: not recorded",
        f"Created: {html.escape(meta.created or 'unknown')} with digitpad "
        f"{html.escape(meta.digitpad_version)}",
    ]
    config = training.get("config")
    if isinstance(config, dict) and isinstance(training.get("images"), int):
        # Every value comes from the file: shown as text, whatever its type.
        def field(key: str) -> str:
            return html.escape(str(config.get(key, "?")))[:40]

        lines.append(
            f"Trained on {training['images']:,} images for {field('epochs')} epochs "
            f"({field('optimizer')}, learning rate {field('learning_rate')}, augmentation "
            f"{'on' if config.get('augment') is True else 'off'})"
        )
    return (
        "<br>".join(line for line in lines if line)
        + "<table cellspacing=4><tr><th align=left>layer</th><th align=left>output</th>"
        f"<th align=right>parameters</th></tr>{rows}</table>"
    )


def about_html(model: Model | None) -> str:
    name = html.escape(model.metadata.name or "unnamed") if model else "none"
    return (
        f"<b>digitpad {__version__}</b><br>Draw a digit and watch a convolutional network "
        "written from scratch in NumPy recognise it.<br><br>"
        f"Current model: {name}<br><br>"
        "Trained on the MNIST database of handwritten digits by Yann LeCun, Corinna Cortes "
        "and Christopher J.C. Burges, available under the Creative Commons "
        "Attribution-Share Alike 3.0 license."
    )
