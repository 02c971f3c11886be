"""Colours from the system palette for every plot, light or dark, and again when it changes."""

from __future__ import annotations

import functools

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

# Every map, filter and table of values: Kovesi's linear-lightness diverging map CET-D7,
# dark blue (negative) - grey (zero) - light yellow (positive). Its lightness rises steadily
# from one end to the other, so the sign still reads in greyscale (darker than the grey:
# negative), and blue against yellow stays apart for red-green colour-blind viewers.
# Red-white-blue maps (CET-D1) lose the sign in greyscale: both ends are equally dark.
DIVERGING = "CET-D7"


@functools.cache
def diverging_map() -> pg.ColorMap:
    return pg.colormap.get(DIVERGING)


@functools.cache
def sequential_map() -> pg.ColorMap:
    """For values that cannot be negative (after ReLU, their pooling, the input): the
    upper half of the diverging map, grey (zero) to light yellow. Zero keeps its grey and
    a colour its value on every panel, blue appears only where a value can be negative,
    and lightness still rises steadily, so it reads in greyscale."""
    upper = diverging_map().getLookupTable(0.5, 1.0, 256, alpha=False, mode="byte")
    return pg.ColorMap(np.linspace(0.0, 1.0, len(upper)), upper)


def diverging_colour(value: float, bound: float, pale: float = 0.0) -> QColor:
    """The map's colour for ``value`` on the scale [-bound, bound], mixed with ``pale`` of
    white (behind black text: pale keeps the order of lightness, so the sign still reads)."""
    share = 0.5 + 0.5 * max(-1.0, min(1.0, value / bound)) if bound > 0 else 0.5
    colour = diverging_map().map(share, mode="qcolor")
    return QColor(*(round(channel + (255 - channel) * pale) for channel in colour.getRgb()[:3]))


_high_contrast = False


def set_high_contrast(on: bool) -> None:
    """Presentation mode: black on white whatever the system's palette, and thicker lines.
    Themed panels re-colour on the palette change that goes with it."""
    global _high_contrast
    _high_contrast = on


def high_contrast() -> bool:
    return _high_contrast


def high_contrast_palette() -> QPalette:
    palette = QPalette(QApplication.palette())
    white, black = QColor(255, 255, 255), QColor(0, 0, 0)
    for role, colour in (
        (QPalette.ColorRole.Window, white),
        (QPalette.ColorRole.Base, white),
        (QPalette.ColorRole.AlternateBase, QColor(235, 235, 235)),
        (QPalette.ColorRole.Button, QColor(230, 230, 230)),
        (QPalette.ColorRole.WindowText, black),
        (QPalette.ColorRole.Text, black),
        (QPalette.ColorRole.ButtonText, black),
        (QPalette.ColorRole.PlaceholderText, QColor(60, 60, 60)),
    ):
        palette.setColor(QPalette.ColorGroup.All, role, colour)
    # Disabled text stays grey: black, a button that leads nowhere looked like one to press.
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 120))
    return palette


def muted_text() -> str:
    """CSS colour of secondary text: grey, or near-black for a projector."""
    return "#333" if _high_contrast else "gray"


def font_scale(widget: QWidget) -> float:
    """How much larger the widget's type is than the application's (View > Zoom)."""
    base = QApplication.font().pointSizeF()
    return widget.font().pointSizeF() / base if base > 0 else 1.0


def theme() -> tuple[QColor, QColor, QColor]:
    """(background, text, backdrop for tiles) from the system palette, light or dark;
    black on white in presentation mode."""
    if _high_contrast:
        return QColor(255, 255, 255), QColor(0, 0, 0), QColor(190, 190, 190)
    palette = QApplication.palette()
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    backdrop = base.darker(125) if base.lightness() > 128 else base.lighter(160)
    return base, text, backdrop


class StyleFollower(QObject):
    """Gives ``target`` the type and palette of ``source`` now and whenever they change
    (View > Zoom, presentation mode's type and black on white): a window of its own, or a
    bar outside the panels, inherits neither from the main window's panels. Owned by
    ``target``: it stops with it."""

    def __init__(self, source: QWidget, target: QWidget) -> None:
        super().__init__(target)
        self.source, self.target = source, target
        source.installEventFilter(self)
        self.copy()

    def copy(self) -> None:
        self.target.setPalette(self.source.palette())
        self.target.setFont(self.source.font())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.source and event.type() in (
            QEvent.Type.FontChange,
            QEvent.Type.PaletteChange,
        ):
            self.copy()
        return super().eventFilter(watched, event)


class Themed:
    """Re-colours a panel when the system palette changes (say, to dark mode) while running,
    and re-sizes its plots' type when the font changes."""

    _themed = False  # palette events can arrive while the panel is still being built

    def apply_theme(self) -> None:
        raise NotImplementedError

    def start_theming(self) -> None:
        """Call at the end of __init__: colour the panel now and on every palette change."""
        self._themed = True
        self.apply_theme()

    def changeEvent(self, event: QEvent) -> None:
        # A font change (View > Zoom) re-styles too: plots draw their own type.
        palette_events = (
            QEvent.Type.PaletteChange,
            QEvent.Type.ApplicationPaletteChange,
            QEvent.Type.FontChange,
        )
        if self._themed and event.type() in palette_events:
            self.apply_theme()
        super().changeEvent(event)


def fixed_plot(plot: pg.PlotWidget, digits: bool = False) -> None:
    """A plot that shows, not one to explore: no mouse panning, menu or buttons. With
    ``digits``, its bottom axis is the ten digits, one tick each."""
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(False, False)
    plot.hideButtons()
    if digits:
        plot.setXRange(-0.6, 9.6, padding=0)
        plot.getAxis("bottom").setTicks([[(d, str(d)) for d in range(10)]])


def title_size(widget: QWidget) -> str:
    """A plot title's size: pyqtgraph's 11 pt beside 9 pt type, scaled with the type."""
    return f"{widget.font().pointSizeF() * 11 / 9:.1f}pt"


def style_plot(plot: pg.PlotWidget, title: str | None = None) -> None:
    """Background, axes and title of a pyqtgraph plot in the palette's colours and at the
    widget's type size."""
    background, text, _ = theme()
    plot.setBackground(background)
    item = plot.getPlotItem()
    if title is not None:
        item.setTitle(title, color=text, size=title_size(plot))
    elif item.titleLabel.text:
        item.titleLabel.setText(item.titleLabel.text, color=text, size=title_size(plot))
    for side in ("left", "bottom"):
        plot.getAxis(side).setTextPen(text)
        plot.getAxis(side).setPen(text)
        plot.getAxis(side).setStyle(tickFont=plot.font())
        label = plot.getAxis(side).label
        if label is not None:
            label.setDefaultTextColor(text)
