"""Words about a model for the GUI: a shape as tutorials write it (``shape_text``), the
Model Info text (architecture, parameters, accuracy, training, handwriting, calibration)
and the About box."""

from __future__ import annotations

import html

from digitpad import __version__
from digitpad.core.calibration import CALIBRATION_KEY
from digitpad.core.model_io import Model
from digitpad.core.training import FINE_TUNED_FROM_KEY, HELD_OUT_KEY, PEN_DIGITS_KEY


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

        epochs = field("epochs")
        lines.append(
            f"Trained on {training['images']:,} images for {epochs} "
            f"epoch{'' if epochs == '1' else 's'} "
            f"({field('optimizer')}, learning rate {field('learning_rate')}, augmentation "
            f"{'on' if config.get('augment') is True else 'off'})"
        )
    lines += _handwriting_lines(meta.training, meta.metrics, network.temperature)
    return (
        "<br>".join(line for line in lines if line)
        + "<table cellspacing=4><tr><th align=left>layer</th><th align=left>output</th>"
        f"<th align=right>parameters</th></tr>{rows}</table>"
    )


def _writers(record: dict) -> str | None:
    """'3, 7, 8' from a record's writer list, or None when the file holds something else."""
    writers = record.get("held_out_writers", record.get("writers"))
    if not (isinstance(writers, list) and writers and len(writers) <= 100):
        return None
    if not all(isinstance(w, int) and not isinstance(w, bool) for w in writers):
        return None
    return ", ".join(str(w) for w in writers)


def _fraction(value: object) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1
    return float(value) if ok else None


def _handwriting_lines(training: dict, metrics: dict, temperature: float) -> list[str]:
    """What the model learned of pen-written digits and of your samples, and how honest
    its percentages are."""
    pen = training.get(PEN_DIGITS_KEY)
    fit = training.get(CALIBRATION_KEY)
    lines = []
    source = training.get(FINE_TUNED_FROM_KEY)
    if isinstance(source, dict) and isinstance(source.get("name"), str):
        lines.append(f"Fine-tuned from {html.escape(source['name'][:60])}")
    mine = training.get("samples")
    if isinstance(mine, dict) and isinstance(mine.get("held_out"), int):
        after = _fraction(mine.get("accuracy_after"))
        scored = f": {after:.0%} of them read right" if after is not None else ""
        lines.append(f"Trained on your samples too ({mine['held_out']} held out{scored})")
    if isinstance(pen, dict):
        trained = pen.get("train_writers")
        count = len(trained) if isinstance(trained, list) else "?"
        share = (
            training.get("config", {}).get("pen_ratio")
            if isinstance(training.get("config"), dict)
            else None
        )
        share_text = f"{share:.0%} of each batch" if _fraction(share) is not None else "mixed in"
        lines.append(
            f"Also trained on pen-written digits of {count} writers, drawn as the canvas "
            f"draws ({share_text})"
        )
        record = pen
    elif isinstance(source, dict) and isinstance(source.get(PEN_DIGITS_KEY), dict):
        # Fine-tuned from a model that learned pen digits: it still knows them, unmeasured.
        learned = source[PEN_DIGITS_KEY]
        trained, writers = learned.get("train_writers"), _writers(learned)
        read = _fraction(learned.get("accuracy"))
        lines.append(
            f"Its source also learned pen-written digits of "
            f"{len(trained) if isinstance(trained, list) else '?'} writers"
            + (
                f"; it read writers it never saw ({writers}) at {read:.2%} before this "
                "fine-tune (not measured again)"
                if writers is not None and read is not None
                else ""
            )
        )
        record = None
    else:
        record = fit if isinstance(fit, dict) else None
        read = _fraction(record.get("accuracy")) if record is not None else None
        cost = (
            f": it reads {read:.2%} of the pen-written digits of writers {_writers(record)}"
            if read is not None and _writers(record) is not None
            else ""
        )
        lines.append(f"Not trained on pen-written digits, MNIST only{cost}")
    writers = _writers(record) if record is not None else None
    accuracy = _fraction(metrics.get(HELD_OUT_KEY)) if isinstance(pen, dict) else None
    if writers is not None and accuracy is not None:
        lines.append(f"Pen-written digits by writers it never saw ({writers}): {accuracy:.2%}")
    if isinstance(fit, dict) and _writers(fit) is not None:
        record, writers = fit, _writers(fit)  # a later `digitpad calibrate --strokes` wins
    if temperature != 1.0 and writers is not None:
        before, after = _fraction(record.get("ece_before")), _fraction(record.get("ece_after"))
        errors = (
            f"; calibration error {before:.1%} → {after:.1%}"
            if before is not None and after is not None
            else ""
        )
        lines.append(
            f"Percentages calibrated on writers {writers} (temperature {temperature:.2f}{errors})"
        )
    elif temperature != 1.0 and isinstance(source, dict) and isinstance(source.get("name"), str):
        lines.append(
            f"Percentages scaled by temperature {temperature:.2f}, kept from "
            f"{html.escape(source['name'][:60])} (not fitted again after fine-tuning)"
        )
    elif temperature != 1.0:
        lines.append(
            f"Percentages scaled by temperature {temperature:.2f} (fitted where, not recorded)"
        )
    else:
        lines.append("Percentages not calibrated on drawn digits (temperature 1)")
    return lines


def about_html(model: Model | None) -> str:
    name = html.escape(model.metadata.name or "unnamed") if model else "none"
    return (
        f"<b>digitpad {__version__}</b><br>Draw a digit and watch a convolutional network "
        "written from scratch in NumPy recognise it.<br><br>"
        f"Current model: {name}<br><br>"
        "Trained on the MNIST database of handwritten digits by Yann LeCun, Corinna Cortes "
        "and Christopher J.C. Burges, available under the Creative Commons "
        "Attribution-Share Alike 3.0 license.<br><br>"
        "The default model also learned from the UCI Pen-Based Recognition of Handwritten "
        "Digits data set by E. Alpaydin and F. Alimoglu (Bogazici University, 1998), under "
        "the Creative Commons Attribution 4.0 license."
    )
