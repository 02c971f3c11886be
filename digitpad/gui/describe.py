"""Words about a model for the GUI: a shape as tutorials write it (``shape_text``), the
Model Info text (architecture, parameters, accuracy, training, handwriting, calibration)
and the About box."""

from __future__ import annotations

import contextlib
import html
from datetime import datetime

from digitpad import __version__
from digitpad.core.layers import ACTIVATION, DENSE, GLOBAL_POOL, RESHAPE
from digitpad.core.model_io import Model
from digitpad.core.network import INPUT_SHAPE, Network
from digitpad.core.record import ModelRecord
from digitpad.core.stages import network_stages, stage_of

GAP = "&nbsp;" * 3  # between a table's columns (Qt's rich text has no cell padding on a side)


def shape_text(shape: tuple[int, ...]) -> str:
    """(C, H, W) -> 'H×W×C' as tutorials write it; (D,) -> 'D'."""
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}×{w}×{c}"
    return str(shape[0])


def model_info_html(model: Model | None) -> str:
    """Architecture, parameters, accuracy, date and training of a model, as rich text in
    plain words (Model > Model Info)."""
    if model is None:
        return "No model loaded."
    network = model.network
    record = ModelRecord.of(model.metadata)
    rows = "".join(
        f"<tr><td>{name}</td><td>{GAP}{shape_text(shape)}</td>"
        f"<td align=right>{GAP}{count}</td></tr>"
        for name, shape, count in stage_rows(network)
    )
    lines = [
        # The name and path come from a file: escape them so they cannot inject markup.
        f"<b>{html.escape(record.name or 'model')}</b> — {html.escape(str(model.path))}",
        f"{network.parameter_count:,} parameters: the weights and biases that training adjusts",
        f"Reads {record.test_accuracy:.2%} of MNIST's 10,000 test digits right"
        if record.test_accuracy is not None
        else "How it reads MNIST's test digits: not recorded",
        f"Made {_when(record.created)} with digitpad {html.escape(record.digitpad_version)}",
    ]
    run = record.run
    if run is not None:
        epochs = f"{run.epochs} epoch{'' if run.epochs == 1 else 's'}" if run.epochs else "?"
        how = ", ".join(
            part
            for part in (
                html.escape(run.optimizer.capitalize()) if run.optimizer else "",
                f"learning rate {run.learning_rate:g}" if run.learning_rate else "",
            )
            if part
        )
        lines.append(
            f"Trained for {epochs} on {run.images:,} MNIST images"
            + (f" ({how})" if how else "")
            + (", randomly distorted" if run.augment else ", as they are (no distortion)")
        )
    lines += _handwriting_lines(record, network.temperature)
    lines.append(_non_digits_line(record, network.knows_non_digits))
    # A paragraph a fact, a little apart: a fact wrapped over two lines stays one.
    return (
        "".join(f"<p style='margin:0 0 3px 0'>{line}</p>" for line in lines if line)
        + "<table cellspacing=0 cellpadding=1><tr><th align=left>stage</th>"
        f"<th align=left>{GAP}output</th>"
        f"<th align=right>{GAP}parameters</th></tr>{rows}</table>"
    )


def stage_rows(network: Network) -> list[tuple[str, tuple[int, ...], int]]:
    """(name, output shape, parameter count) per stage of the layer strip: an activation
    with the layer before it ("conv1 + relu"), the softmax last, so Model Info and the strip
    name the same things."""
    counts = [sum(p.size for p in layer.params.values()) for layer in network.layers]
    return [
        (stage.name, stage.shape, sum(counts[max(stage.first, 0) : stage.last + 1]))
        for stage in network_stages(network)
    ]


def stage_hint(network: Network, layer: int) -> str:
    """A status-bar line in plain words for the stage ``layer`` belongs to: what it does,
    with its numbers, and what a hover or a click shows. For the stages whose panel has no
    tooltip of its own to say it (flatten, the dense layers)."""
    stages = network_stages(network)
    stage = stage_of(stages, layer)
    if stage is None:
        return ""
    if not 0 <= stage.first < len(network.layers):
        return f"{stage.name}: {stage.description}"
    first = network.layers[stage.first]
    before = network.shapes[stage.first - 1] if stage.first > 0 else INPUT_SHAPE
    inputs = 1
    for size in before:
        inputs *= size
    count = stage.shape[0]
    activation = next((network.layers[i] for i in range(stage.first + 1, stage.last + 1)), None)
    then = ""
    if activation is not None and activation.role == ACTIVATION:
        then = (
            ", then ReLU (below zero becomes zero)"
            if activation.kind == "relu"
            else f", then {activation.describe()}"
        )
    if first.role == RESHAPE:
        return (
            f"{stage.name}: the maps before it laid end to end as one list of {count} "
            "numbers; nothing is computed. Hover a number to see which map, row and column "
            "it came from; click it to follow it."
        )
    if first.role == GLOBAL_POOL:
        return (
            f"{stage.name}: each of the {count} maps before it averaged to one number. "
            "Hover one to read it; click it to see it worked out."
        )
    last_dense = max(i for i, each in enumerate(network.layers) if each.role == DENSE)
    if first.role == DENSE and stage.first == last_dense:
        return (
            f"{stage.name}: one score per digit (its logit), a weighted sum of all {inputs} "
            "values before it plus a bias; softmax turns the scores into the percentages. "
            "Click a bar to see its sum."
        )
    if first.role == DENSE:
        return (
            f"{stage.name}: {count} units, each a weighted sum of all {inputs} values "
            f"before it plus a bias{then}. Hover a square to read it; click it to see its sum."
        )
    return f"{stage.name}: {stage.description}"


def _when(created: datetime | None) -> str:
    """'on 26 November 2026 at 14:03' in local time, or 'on an unknown date'."""
    if created is None:
        return "on an unknown date"
    if created.tzinfo is not None:
        with contextlib.suppress(OverflowError, ValueError):  # year 1 or 9999, far zones
            created = created.astimezone()
    return f"on {created.day} {created:%B %Y at %H:%M}"


def _writers(writers: tuple[int, ...] | None) -> str | None:
    """'3, 7, 8', or None for none or too many to list."""
    if writers is None or len(writers) > 100:
        return None
    return ", ".join(str(w) for w in writers)


def _handwriting_lines(record: ModelRecord, temperature: float) -> list[str]:
    """What the model learned of pen-written digits and of your samples, and how honest
    its percentages are."""
    lines = []
    source = record.fine_tuned_from
    if source is not None and source.name is not None:
        before = (
            f" (which read {source.test_accuracy:.2%} of them)"
            if source.test_accuracy is not None
            else ""
        )
        lines.append(f"Fine-tuned from {html.escape(source.name)}{before}")
    mine = record.samples
    if mine is not None:
        after = (
            f": it reads {mine.accuracy_after:.0%} of the {mine.held_out} held out to test it"
            if mine.accuracy_after is not None and mine.held_out
            else f" ({mine.held_out} held out)"
        )
        lines.append(f"Learned from your samples too{after}")
    pen = record.pen_digits
    fit = record.calibration
    if pen is not None and not pen.inherited:
        count = len(pen.train_writers) if pen.train_writers is not None else "?"
        share = f"{pen.share:.0%} of each batch" if pen.share is not None else "mixed in"
        lines.append(
            f"Also learned from digits written with a pen by {count} people, drawn as the "
            f"canvas draws ({share})"
        )
        writers = _writers(pen.held_out_writers)
        if writers is not None and pen.accuracy is not None:
            lines.append(
                f"Reads {pen.accuracy:.2%} of the pen-written digits of people it never "
                f"saw (writers {writers})"
            )
    elif pen is not None:
        # Fine-tuned from a model that learned pen digits: it still knows them, unmeasured.
        count = len(pen.train_writers) if pen.train_writers is not None else "?"
        writers = _writers(pen.held_out_writers)
        lines.append(
            f"Its source also learned digits written with a pen by {count} people"
            + (
                f"; it read those of people it never saw (writers {writers}) at "
                f"{pen.accuracy:.2%} before this fine-tune (not measured again)"
                if writers is not None and pen.accuracy is not None
                else ""
            )
        )
    else:
        writers = _writers(fit.writers) if fit is not None else None
        cost = (
            f": it reads {fit.accuracy:.2%} of the pen-written digits of writers {writers}"
            if fit is not None and fit.accuracy is not None and writers is not None
            else ""
        )
        lines.append(f"Learned from MNIST only, no pen-written digits{cost}")
    lines.append(_calibration_line(record, temperature))
    return lines


def _non_digits_line(record: ModelRecord, knows: bool) -> str:
    """Whether it can tell a drawing is not a digit, and how well on things it never saw."""
    if not knows:
        cue = (
            "; when all its scores are low the answer says it doesn't look like the digits "
            "it learned, which catches few letters or doodles"
            if record.familiarity_threshold is not None
            else ""
        )
        return (
            "It cannot tell that a drawing is not a digit: it learned from digits alone, so it "
            f"reads a letter or a smiley as the digit it most resembles{cue}"
        )
    found = record.non_digits
    if found is None or found.inherited:
        origin = "its source learned" if found is not None else "it has"
        return f"It can answer <i>not a digit</i> ({origin} an output for it)"
    parts = []
    if found.letters_flagged is not None:
        who = _writers(found.held_out_writers)
        parts.append(
            f"{found.letters_flagged:.0%} of the letters of writers it never saw"
            + (f" ({who})" if who else "")
        )
    if found.doodles_flagged is not None:
        parts.append(f"{found.doodles_flagged:.0%} of doodles it never saw")
    measured = f": it calls {' and '.join(parts)} not a digit" if parts else ""
    share = f"{found.share:.0%} of each batch" if found.share is not None else "mixed in"
    return (
        f"Learned what is not a digit from letters written with a pen and doodles ({share}), "
        f"with an output of its own for it{measured}"
    )


def _calibration_line(record: ModelRecord, temperature: float) -> str:
    """How far its percentages can be trusted, and what its temperature does."""
    fit = record.calibration
    writers = _writers(fit.writers) if fit is not None else None
    source = record.fine_tuned_from
    if temperature != 1.0 and writers is not None:
        gap = (
            f" (on their digits, how sure it says it is and how often it is right differ by "
            f"{fit.ece_after:.1%}, {fit.ece_before:.1%} before)"
            if fit.ece_before is not None and fit.ece_after is not None
            else ""
        )
        return (
            f"Percentages calibrated on writers {writers}: its scores are divided by "
            f"{temperature:.2f} (its <i>temperature</i>) before softmax, so that 90% sure means "
            f"right 9 times in 10{gap}"
        )
    if temperature != 1.0 and source is not None and source.name is not None:
        return (
            f"Its percentages use the temperature of {html.escape(source.name)} (its scores "
            f"are divided by {temperature:.2f} before softmax), not fitted again after "
            "fine-tuning"
        )
    if temperature != 1.0:
        return (
            f"Its scores are divided by {temperature:.2f} before softmax (a temperature "
            "fitted on digits its file does not name)"
        )
    return (
        "Its percentages are softmax as it was trained, not calibrated on drawn digits: "
        "they may say more certainty than it has"
    )


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
