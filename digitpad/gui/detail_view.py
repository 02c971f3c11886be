"""Follow one number: the arithmetic of the value the user clicked, on their own drawing,
and on through the network one stage at a time, both ways.

From the value clicked, ``core.explain.route`` follows it back through its largest
contributions to the first layer and on, into the value it helps most (of those not
switched off at 0; into the logits, the answer's if it adds to it), to the softmax;
this shows one stage of that route at a time (a conv block, flatten, a dense layer, the
softmax), with "Previous stage" and "Next stage" to walk it. Each stage shows the sum that
made its value (the input window, the weights, their products, the bias, the activation,
the pooling window) with the value it came from marked, and, on the way on, every value
that reads the one before. Every number comes from ``core.explain``, which reads the
network's own forward pass, and updates as the user draws.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QFontMetrics,
    QHideEvent,
    QImage,
    QKeySequence,
    QPen,
    QPixmap,
    QResizeEvent,
    QShortcut,
    QShowEvent,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.explain import (
    ActivationStep,
    AverageStep,
    ConvStep,
    DenseStep,
    FanOut,
    FlattenStep,
    Node,
    PoolStep,
    Route,
    SoftmaxStep,
    Step,
    class_count,
    layer_input,
    number,
    route,
    step_value,
)
from digitpad.core.layers import ACTIVATION, GLOBAL_POOL, RESHAPE
from digitpad.core.scales import never_negative
from digitpad.core.viewer import ViewerModel
from digitpad.gui.panels import MapPoint, MosaicPanel, Outline
from digitpad.gui.theme import diverging_colour
from digitpad.gui.throttle import Throttle

# How many channel contributions are listed one by one (the rest are summed).
TOP_CHANNELS = 8
# How many of the values reading a value are listed, the ones it helps most.
TOP_READERS = 5
DRAWING_REFRESH_MS = 250
# Walking the route: the browser's keys for back and forward.
NEXT_KEY, PREVIOUS_KEY = "Alt+Right", "Alt+Left"
# The enlarged map's share of the panel's height: the arithmetic below needs the rest,
# and on a short panel (a 600 px screen) more of it.
MAP_SHARE, SHORT_MAP_SHARE, SHORT_PANEL = 0.45, 0.35, 640
MAP_LEAST, MAP_MOST = 140, 330
# The copy of the drawing shown in the drawing's place, in screen pixels across.
DRAWING_COPY_PX = 64


# The outline of the followed cell in a table: the maps' selection colour.
OUTLINE = "#e67814"
# The row of a list that is on the route: a pale tint of the same colour.
ON_ROUTE = "#fbe3cc"


def _cell_colour(value: float, bound: float) -> str:
    """The maps' colour for the value, half mixed with white behind black digits."""
    return diverging_colour(value, bound, pale=0.5).name()


def grid_html(
    values: np.ndarray,
    title: str,
    bold: tuple[int, int] | None = None,
    outline: tuple[int, int] | None = None,
) -> str:
    """A small table of numbers; the ``bold`` cell's number in bold, the ``outline`` cell
    framed in the maps' selection colour."""
    bound = float(np.abs(values).max()) or 1.0
    rows = []
    for r, row in enumerate(values):
        cells = []
        for c, value in enumerate(row):
            text = number(float(value))
            if bold == (r, c):
                text = f"<b>{text}</b>"
            frame = f" border:2px solid {OUTLINE};" if outline == (r, c) else ""
            cells.append(
                f"<td align=right style='background:{_cell_colour(float(value), bound)};"
                f"color:#000; padding:1px 3px; white-space:nowrap;{frame}'>{text}</td>"
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table cellspacing=1><tr><td colspan={values.shape[1]}><i>{title}</i></td></tr>"
        + "".join(rows)
        + "</table>"
    )


def bar_html(value: float, largest: float, width: int = 8) -> str:
    """A bar as long as |value| is against the largest, coloured by sign."""
    length = max(1, round(width * abs(value) / largest))
    return f"<span style='background:{_cell_colour(value, largest)}'>{'&nbsp;' * length}</span>"


def side_by_side(*tables: str) -> str:
    cells = "".join(f"<td valign=top style='padding-right:6px'>{table}</td>" for table in tables)
    return f"<table><tr>{cells}</tr></table>"


def grid_width(values: np.ndarray, metrics: QFontMetrics) -> int:
    """How wide ``grid_html`` draws a table of ``values``, in pixels, at most."""
    widest = max(metrics.horizontalAdvance(number(float(v))) for v in values.flat)
    # Each cell's padding and spacing; one outlined cell's frame; the table's own edge.
    return values.shape[1] * (widest + 8) + 4 + 4


def html_width(markup: str, font: QFont) -> float:
    """How wide ``markup`` lays out in ``font`` with nothing wrapped: its widest line."""
    document = QTextDocument()
    document.setDefaultFont(font)
    document.setDocumentMargin(0)
    document.setHtml(markup)
    return document.idealWidth()


def window_times_weights(
    window: np.ndarray,
    weights: np.ndarray,
    titles: tuple[str, str],
    outline: tuple[int, int] | None = None,
    room: int | None = None,
    metrics: QFontMetrics | None = None,
) -> str:
    """window and weights side by side when two fit ``room`` pixels (else one under the
    other, not under a horizontal scroll bar), and their products below them; the
    ``outline`` cell framed in all three."""
    tables = (grid_html(window, titles[0], outline=outline), grid_html(weights, titles[1]))
    if room is None or metrics is None:
        fits = window.shape[1] <= 3
    else:
        fits = grid_width(window, metrics) + grid_width(weights, metrics) + 12 <= room
    above = side_by_side(*tables) if fits else "".join(tables)
    return above + grid_html(window * weights, "input × weight, cell by cell", outline=outline)


def on_route(text: str) -> str:
    """A row of a list that is on the route: tinted, in the maps' selection colour."""
    return f"<tr bgcolor='{ON_ROUTE}'>{text}</tr>"


class DetailView(QWidget):
    """Shows ``viewer.focus`` and the route through it, one stage at a time; ``closed``
    when the user puts it away."""

    closed = Signal()

    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detail_view")
        self.viewer = viewer
        self.route: Route | None = None
        self.page = 0  # the stage of the route shown
        self.steps: list[Step] = []  # the arithmetic of that stage
        self._following: tuple | None = None  # (focus, network) the route was found for
        self._map_node: Node | None = None  # the value outlined in the enlarged map
        # A text browser lays its page out inside its own viewport: updating it while the
        # user draws costs no relayout of the window (a word-wrapped QLabel cost ~20 ms).
        self.text = QTextBrowser()
        self.text.setObjectName("detail_text")
        self.text.setOpenLinks(False)
        self.html = ""  # what is shown: our own markup and numbers only
        # The map of the value shown, large: hover it to read values, click to follow another.
        self.map_view = MosaicPanel(
            "The map",
            "enlarged_map",
            "The map holding the value you follow, enlarged. Hover to read a value; click "
            "to follow another. Maps, rows and columns count from 1.",
            wide=1.0,
        )
        self.map_view.setMinimumHeight(MAP_LEAST)
        self.map_view.setMaximumHeight(MAP_MOST)
        self.pixel = Outline(QPen(QColor(230, 120, 20), 0))
        self.pixel.setZValue(3)
        self.map_view.view.addItem(self.pixel)
        self.map_view.hovered.connect(self._on_map_view_hovered)
        self.map_view.clicked.connect(self._on_map_view_clicked)
        self.stage_label = QLabel()
        self.stage_label.setObjectName("follow_stage")
        self.stage_label.setWordWrap(True)
        self.stage_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.previous_button = QPushButton("← Previous stage")
        self.previous_button.setObjectName("previous_stage")
        self.previous_button.setToolTip(
            f"Back one stage, toward the input ({QKeySequence(PREVIOUS_KEY).toString()})"
        )
        self.previous_button.clicked.connect(self._on_previous_button_clicked)
        self.next_button = QPushButton("Next stage →")
        self.next_button.setObjectName("next_stage")
        self.next_button.setToolTip(
            f"On one stage, toward the answer ({QKeySequence(NEXT_KEY).toString()})"
        )
        self.next_button.clicked.connect(self._on_next_button_clicked)
        # Window-wide while the panel is shown: the keyboard focus is usually on the maps
        # or the canvas, where the value was clicked.
        for key, slot in (
            (NEXT_KEY, self._on_next_button_clicked),
            (PREVIOUS_KEY, self._on_previous_button_clicked),
        ):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("close_detail")
        self.close_button.clicked.connect(self._on_close_button_clicked)
        # In the drawing's place (a small screen), a small copy of the drawing and the
        # answer, beside the map: they stay in sight while one explains, at no height.
        self.answer_image = QLabel()
        self.answer_image.setObjectName("follow_drawing")
        self.answer_image.setFixedSize(DRAWING_COPY_PX, DRAWING_COPY_PX)
        self.answer_text = QLabel()
        self.answer_text.setObjectName("follow_answer")
        self.answer_text.setTextFormat(Qt.TextFormat.RichText)  # our own words and numbers
        self.answer_text.setWordWrap(True)
        self.answer_text.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.answer_row = QWidget()
        self.answer_row.setObjectName("follow_answer_row")
        self.answer_row.setToolTip("Your drawing and the network's answer")
        answer = QVBoxLayout(self.answer_row)
        answer.setContentsMargins(0, 0, 0, 0)
        answer.addWidget(self.answer_image, 0, Qt.AlignmentFlag.AlignHCenter)
        answer.addWidget(self.answer_text)
        answer.addStretch(1)
        self.answer_row.setFixedWidth(2 * DRAWING_COPY_PX)
        self.answer_row.setVisible(False)
        walk = QHBoxLayout()
        walk.addWidget(self.previous_button)
        walk.addWidget(self.next_button)
        top = QHBoxLayout()
        top.addWidget(self.answer_row)
        top.addWidget(self.map_view, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        # The walk's buttons first, at the panel's top at every stage: clicking Next again
        # and again in one place walks the whole route (under the map they jumped up
        # 300 px where the maps end, at flatten).
        layout.addLayout(walk)
        layout.addWidget(self.stage_label)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.close_button)
        self._room = 0  # the text's width the page was laid out for
        self._shown: tuple[Route | None, int] = (None, 0)  # the route and page shown
        # While the user draws, the arithmetic follows at most four times a second: its
        # text layout must not take the frame from the panels' live update.
        self.refresh = Throttle(DRAWING_REFRESH_MS, self._on_viewer_changed, self)
        viewer.input_changed.connect(self.refresh.request)
        viewer.focus_changed.connect(self.refresh.now)
        viewer.network_shown_changed.connect(self.refresh.now)
        self._on_viewer_changed()

    # -- walking the route ---------------------------------------------------------------

    def go_to_page(self, page: int) -> None:
        """Show stage ``page`` of the route (clamped to it)."""
        if self.route is None:
            return
        page = max(0, min(page, len(self.route.pages) - 1))
        if page != self.page:
            self.page = page
            self._show_page()

    def go_to_layer(self, layer: int) -> None:
        """Show the stage holding layer ``layer``'s value (the softmax: len(layers))."""
        if self.route is None:
            return
        for page, members in enumerate(self.route.pages):
            if any(self.route.nodes[k].layer == layer for k in members):
                self.go_to_page(page)
                return

    def _on_next_button_clicked(self) -> None:
        if self.isVisible():
            self.go_to_page(self.page + 1)
            self.show_stage()

    def _on_previous_button_clicked(self) -> None:
        if self.isVisible():
            self.go_to_page(self.page - 1)
            self.show_stage()

    def show_stage(self) -> None:
        """Walking the route: the window shows the stage walked to (the strip picks it, the
        network view turns to it, the route's value outlined there), unless it already
        shows one of its layers."""
        if self.route is None:
            return
        layers = [self.route.nodes[k].layer for k in self.route.pages[self.page]]
        if self.viewer.selected_layer not in layers:
            self.viewer.select_layer(layers[0])

    def _show_html(self, html_text: str) -> None:
        if html_text != self.html:
            self.html = html_text
            self.text.setHtml(html_text)

    def _on_close_button_clicked(self) -> None:
        self.viewer.clear_focus()
        self.closed.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # The map gives the arithmetic below it the room it needs on a short screen.
        panel = event.size().height()
        height = round((MAP_SHARE if panel >= SHORT_PANEL else SHORT_MAP_SHARE) * panel)
        self.map_view.setMaximumHeight(max(MAP_LEAST, min(MAP_MOST, height)))
        if self.route is not None and self._text_room() != self._room:
            self._show_page()  # tables side by side, or one under the other, anew

    def _text_room(self) -> int:
        """The width the page's tables have: the text's, less its margins and scroll bar."""
        bar = self.text.verticalScrollBar().sizeHint().width()
        return max(100, self.text.width() - 2 * self.text.frameWidth() - bar - 12)

    # -- following -----------------------------------------------------------------------

    def show_answer(self, shown: bool) -> None:
        """Show the drawing's copy and the answer (the panel is in the drawing's place)."""
        self.answer_row.setVisible(shown)
        if shown:
            self._show_answer()

    def _show_answer(self) -> None:
        viewer = self.viewer
        pixels = viewer.pixels
        if pixels is None:
            grey = np.zeros((DRAWING_COPY_PX, DRAWING_COPY_PX), np.uint8)
        else:
            grey = np.ascontiguousarray(np.clip(pixels, 0, 1) * 255, dtype=np.uint8)
        height, width = grey.shape
        image = QImage(grey.data, width, height, width, QImage.Format.Format_Grayscale8).copy()
        self.answer_image.setPixmap(
            QPixmap.fromImage(image).scaled(
                DRAWING_COPY_PX,
                DRAWING_COPY_PX,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        self.answer_text.setText(self._answer_html())

    def _answer_html(self) -> str:
        """The answer under the drawing, in the drawing column's words, shortly."""
        viewer, verdict = self.viewer, self.viewer.verdict
        if viewer.network_shown is None:
            return "No model"
        if viewer.too_small:
            return "Too small to read"
        if verdict is None:
            return "Draw a digit"
        digit = f"<b style='font-size:large'>{self._digit(verdict.digit)}</b>"
        sure = f"{verdict.confidence:.0%}"
        if viewer.unfamiliar and viewer.knows_non_digits:
            return f"Not a digit<br>(if one, {digit} {sure})"
        if viewer.unfamiliar:
            return f"Unlike the digits it learned<br>best guess {digit} {sure}"
        if verdict.sure:
            return f"looks most like {digit} {sure}"
        second = self._digit(verdict.runner_up)
        return f"looks like {digit} {sure} or <b>{second}</b> {verdict.runner_up_confidence:.0%}"

    def _on_viewer_changed(self) -> None:
        if self.answer_row.isVisibleTo(self):
            self._show_answer()
        focus, network, trace = self.viewer.focus, self.viewer.network_shown, self.viewer.trace
        self.steps = []
        self.route = None
        if focus is None or network is None:
            self._following = None
            self._show_walk()
            self.map_view.setVisible(False)
            self._show_html(
                "Click any value of a feature map or pooled map, a dense unit, a logit or a "
                "softmax bar to see how the network computed it from your drawing."
            )
            return
        if trace is None:
            self._show_walk()
            self.map_view.setVisible(False)
            self._show_html(
                f"<h3>{html.escape(self._title(Node(focus.layer, self._position(focus))))}</h3>"
                "Draw a digit: this value is computed from it."
            )
            return
        self.route = route(network, trace, focus.layer, self._position(focus))
        following = (focus, id(network))
        if following != self._following:  # another value: its own stage first
            self._following = following
            self.page = self.route.start
        self.page = min(self.page, len(self.route.pages) - 1)
        self._show_page()

    def _position(self, focus) -> tuple[int, ...]:
        if len(self.viewer.network_shown.shapes[focus.layer]) == 1:
            return (focus.channel,)
        return (focus.channel, focus.row, focus.col)

    def _show_walk(self) -> None:
        """The stage counter and the buttons, for the route and the page shown."""
        route_ = self.route
        if route_ is None:
            self.stage_label.setText("")
            self.previous_button.setEnabled(False)
            self.next_button.setEnabled(False)
            return
        count = len(route_.pages)
        names = self._page_name(self.page)
        here = " (clicked)" if self.page == route_.start else ""
        self.stage_label.setText(f"Stage {self.page + 1} of {count}{here}: {names}")
        self.previous_button.setEnabled(self.page > 0)
        self.next_button.setEnabled(self.page < count - 1)

    def _page_name(self, page: int) -> str:
        names: list[str] = []
        for k in self.route.pages[page]:
            name = self._stage_name(self.route.nodes[k].layer)
            if name not in names:
                names.append(name)
        return " → ".join(names)

    def _show_page(self) -> None:
        route_ = self.route
        members = route_.pages[self.page]
        if self._shown[0] is not route_ or self._shown[1] != self.page:
            # Not merely laid out anew for a new width: another page, or the drawing changed.
            self._shown = (route_, self.page)
            self.steps = [route_.steps[k] for k in members]
        self._room = self._text_room()
        start = route_.pages[route_.start]
        clicked = next(k for k in start if route_.nodes[k].layer == self.viewer.focus.layer)
        shown = clicked if self.page == route_.start else members[0]
        parts = [f"<h3>{html.escape(self._title(route_.nodes[shown]))}</h3>"]
        # What each step computes, in a line, first: on a short panel in presentation
        # type the tables pushed the sum out of sight.
        parts.append(
            "<p>" + "<br>".join(self._summary_line(route_.steps[k]) for k in members) + "</p>"
        )
        first = members[0]
        if self.page > route_.start:
            parts.append(self._on_from_html(first))
        elif self.page < route_.start:
            parts.append(
                "<p><i>On the way back from the value you clicked: each value is followed "
                "to its largest contribution.</i></p>"
            )
        if isinstance(route_.steps[members[-1]], SoftmaxStep) and self.page > route_.start:
            # The share the route ends in: why not the answer's, where it is another digit,
            # before the table, where a short panel shows it.
            note = self._answer_note(route_.fanouts[members[-1] - 1])
            if note:
                parts.append(f"<p><i>{note.strip()}</i></p>")
        for k in members:
            parts.append(self._step_html(route_.steps[k]))
        if self.page == len(route_.pages) - 1 and not route_.complete:
            parts.append(
                "<p><i>This value goes no further: no 2×2 window of the next layer holds a "
                "map's odd last row or column, so nothing after it reads this value.</i></p>"
            )
        self._show_html("".join(parts))
        self._show_walk()
        maps = [k for k in members if len(self._shape(route_.nodes[k].layer)) == 3]
        if maps:
            self._show_map(route_.nodes[clicked if clicked in maps else maps[0]])
        else:
            self._map_node = None
            self.map_view.setVisible(False)

    def _shape(self, layer: int) -> tuple[int, ...]:
        network = self.viewer.network_shown
        return network.shapes[layer] if layer < len(network.layers) else (1,)

    def _show_map(self, node: Node) -> None:
        network = self.viewer.network_shown
        output = self.viewer.output(node.layer)
        channel, row, col = node.position
        self.map_view.show_maps(
            output[channel][None],
            self.viewer.scale(node.layer),
            cols=1,
            nonnegative=never_negative(network)[node.layer],
        )
        self.map_view.set_heading(f"{self._layer_name(node.layer)}, map {channel + 1}")
        self.pixel.setRect(QRectF(col, row, 1, 1))
        self._map_node = node
        self.map_view.setVisible(True)

    def _on_map_view_hovered(self, point: MapPoint | None) -> None:
        node = self._map_node
        if point is None or node is None:
            self.viewer.clear_hover()
            self.map_view.set_readout("")
            return
        self.viewer.hover_over(node.layer, node.position[0], point.row, point.col)
        hover = self.viewer.hover
        self.map_view.set_readout(
            f"row {point.row + 1}, column {point.col + 1}: {number(hover.value)}" if hover else ""
        )

    def _on_map_view_clicked(self, point: MapPoint) -> None:
        node = self._map_node
        if node is not None:
            self.viewer.set_focus(node.layer, node.position[0], point.row, point.col)

    # -- naming --------------------------------------------------------------------------

    def _title(self, node: Node) -> str:
        """The value at ``node`` in words: "conv2, map 5, row 3, column 4"."""
        network = self.viewer.network_shown
        if node.layer == len(network.layers):
            return f"softmax, the share of digit {self._digit(node.position[0])}"
        if node.layer == len(network.layers) - 1:
            return f"{self._layer_name(node.layer)}, the logit of digit {node.position[0]}"
        if network.layers[node.layer].role == RESHAPE:
            size = network.shapes[node.layer][0]
            return f"{self._layer_name(node.layer)}, number {node.position[0] + 1} of {size}"
        if len(node.position) == 1:
            return f"{self._stage_name(node.layer)}, unit {node.position[0] + 1}"
        channel, row, col = node.position
        return f"{self._layer_name(node.layer)}, map {channel + 1}, row {row + 1}, column {col + 1}"

    def _digit(self, index: int) -> str:
        return str(index) if index < 10 else f"class {index + 1}"

    def _layer_name(self, layer: int) -> str:
        """A layer's name as the strip gives it: an activation is folded into the stage
        before it ("conv1 + relu", not "relu1"); other layers keep their own name."""
        network = self.viewer.network_shown
        if layer < len(network.layers) and network.layers[layer].role == ACTIVATION:
            return self._stage_name(layer)
        return network.names[layer] if layer < len(network.layers) else "softmax"

    def _stage_name(self, layer: int) -> str:
        """The strip's name for the stage holding ``layer`` ("dense1 + relu")."""
        stage = next((s for s in self.viewer.stages if s.first <= layer <= s.last), None)
        if stage is not None:
            return stage.name
        network = self.viewer.network_shown
        return network.names[layer] if layer < len(network.layers) else "softmax"

    def _node_name(self, node: Node) -> str:
        """Shorter than the title, for lists: "maxpool1 map 5, row 3, column 4"."""
        network = self.viewer.network_shown
        if node.layer >= len(network.layers) - 1 and len(node.position) == 1:
            what = "share" if node.layer == len(network.layers) else "logit"
            return f"{what} of digit {self._digit(node.position[0])}"
        if network.layers[node.layer].role == RESHAPE:
            return f"{self._layer_name(node.layer)} number {node.position[0] + 1}"
        if len(node.position) == 1:
            return f"{self._stage_name(node.layer)} unit {node.position[0] + 1}"
        channel, row, col = node.position
        return f"{self._layer_name(node.layer)} map {channel + 1}, row {row + 1}, column {col + 1}"

    def _input_name(self, dense: int, index: int) -> str:
        """Where input ``index`` of a dense layer comes from, in the network's terms."""
        network = self.viewer.network_shown
        source = dense - 1
        while source >= 0 and network.layers[source].role == RESHAPE:
            source -= 1  # flatten: name the map value it came from
        if source < 0:
            return f"input pixel {index}"
        shape = network.shapes[source]
        name = self._layer_name(source)
        if network.layers[source].role == GLOBAL_POOL:
            return f"{name}: map {index + 1}'s average"
        if len(shape) == 3:
            _, height, width = shape
            channel, rest = divmod(index, height * width)
            row, col = divmod(rest, width)
            return f"{name} map {channel + 1}, row {row + 1}, column {col + 1}"
        return f"{name} unit {index + 1}"

    # -- the stages' arithmetic ----------------------------------------------------------

    def _summary_line(self, step: Step) -> str:
        """What ``step`` computes, in one short line ending in its value."""
        name = "softmax" if isinstance(step, SoftmaxStep) else self._layer_name(step.layer)
        name = f"<b>{html.escape(name)}</b>"
        if isinstance(step, ConvStep | DenseStep):
            return (
                f"{name}: {step.products.size} products, sum "
                f"{number(float(step.products.sum()))} + bias {number(step.bias)} = "
                f"<b>{number(step.value)}</b>"
            )
        if isinstance(step, ActivationStep):
            kind = "max(0, " if step.kind == "relu" else f"{html.escape(step.kind)}("
            return f"{name}: {kind}{number(step.before)}) = <b>{number(step.after)}</b>"
        if isinstance(step, PoolStep):
            what = "the largest" if step.kind == "max" else "the average"
            return f"{name}: {what} of its 2×2 window = <b>{number(step.value)}</b>"
        if isinstance(step, FlattenStep):
            size = int(np.prod(step.shape))
            return f"{name}: number {step.index + 1} of {size} = <b>{number(step.value)}</b>"
        if isinstance(step, AverageStep):
            return f"{name}: the average of {step.values.size} values = <b>{number(step.value)}</b>"
        share = step_value(step)
        digit = step.digit if step.digit is not None else int(step.order[0])
        return f"{name}: the share of digit {self._digit(digit)} = <b>{share:.3f}</b> ({share:.1%})"

    def _step_html(self, step: Step) -> str:
        if isinstance(step, ConvStep):
            return self._conv_html(step)
        if isinstance(step, ActivationStep):
            return self._activation_html(step)
        if isinstance(step, PoolStep):
            return self._pool_html(step)
        if isinstance(step, FlattenStep):
            return self._flatten_html(step)
        if isinstance(step, AverageStep):
            return self._average_html(step)
        if isinstance(step, DenseStep):
            return self._dense_html(step)
        return self._softmax_html(step)

    def _on_from_html(self, k: int) -> str:
        """How the value before stage ``k`` reaches it: on the way on from the click."""
        route_ = self.route
        before = route_.nodes[k - 1]
        value = number(step_value(route_.steps[k - 1]))
        name = html.escape(self._node_name(before))
        fanout = route_.fanouts[k]
        if fanout is None:
            return f"<p>From {name} = <b>{value}</b>:</p>"
        return self._fanout_html(fanout, route_.nodes[k], name, value)

    def _fanout_html(self, fanout: FanOut, followed: Node, name: str, value: str) -> str:
        """Every value of the next layer reading ``name``, the ones it helps most listed."""
        network = self.viewer.network_shown
        layer_name = html.escape(self._stage_name(fanout.layer))
        count = len(fanout.targets)
        if len(fanout.targets[0]) == 3:
            k = network.layers[fanout.layer].kernel
            filters = network.layers[fanout.layer].filters
            reach = (
                f"in every one of its {filters} filters, at each of the {count // filters} "
                f"places whose {k}×{k} window covers it"
            )
        elif fanout.layer == len(network.layers) - 1:
            reach = f"into each of the {count} logits, one per digit"
        else:
            reach = f"into each of its {count} units"
        chosen = next(
            i for i, target in enumerate(fanout.targets) if tuple(target) == followed.position
        )
        listed = list(fanout.order[:TOP_READERS]) if count > TOP_READERS + 1 else list(fanout.order)
        if chosen not in listed:
            listed.append(chosen)
        largest = float(np.abs(fanout.products).max()) or 1.0
        rows = []
        for i in listed:
            target = Node(fanout.layer, tuple(int(v) for v in fanout.targets[i]))
            cells = (
                f"<td>{html.escape(self._reader_name(target))}</td>"
                f"<td align=right style='white-space:nowrap'>× "
                f"{number(float(fanout.weights[i]))}</td>"
                f"<td align=right style='white-space:nowrap'>= "
                f"{number(float(fanout.products[i]))}</td>"
                f"<td>{bar_html(float(fanout.products[i]), largest)}</td>"
            )
            rows.append(on_route(cells) if i == chosen else f"<tr>{cells}</tr>")
        rank = int(np.flatnonzero(fanout.order == chosen)[0])
        helps = "the one it helps most" if rank == 0 else f"number {rank + 1} of {count}"
        if rank > 0 and not fanout.passes[fanout.order[:rank]].any():
            # Those it helps more are 0 after their activation: they explain nothing.
            off = "the one" if rank == 1 else f"the {rank}"
            helps += (
                f": {off} it helps more {'is' if rank == 1 else 'are'} 0 after the "
                f"activation (switched off), so {'it passes' if rank == 1 else 'they pass'} "
                "nothing on"
            )
        if fanout.answer is not None and chosen == fanout.answer and rank > 0:
            top = self._digit(int(fanout.targets[fanout.order[0]][0]))
            helps = (
                f"the digit the network answered: this value adds to it, though it pushes "
                f"towards {top} most"
            )
        nothing = (
            " It is 0, so it adds nothing to any of them: they are ranked by weight, where "
            "it would help most."
            if fanout.value == 0
            else ""
        )
        nothing += self._answer_note(fanout)
        return (
            f"<p>From {name} = <b>{value}</b>, on: {layer_name} reads it {reach}: "
            f"{count} weights in all. Value × weight, what it adds to each, the most "
            f"first{' (the others below)' if count > len(listed) else ''}:</p>"
            f"<table cellspacing=2>{''.join(rows)}</table>"
            f"<p>Followed (tinted): {html.escape(self._reader_name(followed))}, {helps}."
            f"{nothing}</p>"
        )

    def _answer_note(self, fanout: FanOut | None) -> str:
        """Why a route into the logits ends at another digit than the answer, if it does:
        the value pulls the answer's logit down, or adds nothing to it."""
        if fanout is None or fanout.answer is None or fanout.chosen == fanout.answer:
            return ""
        chosen = self._digit(int(fanout.targets[fanout.chosen][0]))
        answer = self._digit(fanout.answer)
        product = float(fanout.products[fanout.answer])
        effect = "it pulls the answer's logit down" if product < 0 else "it adds nothing"
        return (
            f" This value pushes towards {chosen} most; the answer {answer} gets "
            f"{number(product)} from it (value × weight: {effect}), so the route goes on "
            f"to {chosen}, not to the answer."
        )

    def _reader_name(self, node: Node) -> str:
        network = self.viewer.network_shown
        if len(node.position) == 3:
            channel, row, col = node.position
            return f"filter {channel + 1} at row {row + 1}, column {col + 1}"
        if node.layer == len(network.layers) - 1:
            return f"logit of digit {self._digit(node.position[0])}"
        return f"unit {node.position[0] + 1}"

    def _conv_html(self, step: ConvStep) -> str:
        name = html.escape(self._layer_name(step.layer))
        channels, k, _ = step.inputs.shape
        where = (
            f"the {k}×{k} window of the input at rows {step.top + 1}..{step.top + k}, "
            f"columns {step.left + 1}..{step.left + k}"
            + (" (beyond the edge counts as 0: padding)" if self._padded(step) else "")
        )
        total = float(step.products.sum())
        metrics = QFontMetrics(self.text.font())
        followed = step.followed
        if channels == 1:
            body = window_times_weights(
                step.inputs[0],
                step.weights[0],
                ("input window", f"filter {step.channel + 1}"),
                outline=followed[1:] if followed else None,
                room=self._room,
                metrics=metrics,
            )
            sums = f"sum of the {k * k} products = {number(total)}"
        else:
            order = list(np.argsort(-np.abs(step.channel_sums), kind="stable"))
            shown = order[:TOP_CHANNELS]
            if followed is not None and followed[0] not in shown:
                shown.append(followed[0])
            largest = float(np.abs(step.channel_sums).max()) or 1.0
            rows = []
            for c in shown:
                cells = (
                    f"<td>channel {c + 1}</td>"
                    f"<td align=right style='white-space:nowrap'>"
                    f"{number(float(step.channel_sums[c]))}</td>"
                    f"<td>{bar_html(float(step.channel_sums[c]), largest)}</td>"
                )
                on = followed is not None and c == followed[0]
                rows.append(on_route(cells) if on else f"<tr>{cells}</tr>")
            others = [c for c in order if c not in shown]
            if others:
                rest = float(step.channel_sums[others].sum())
                rows.append(
                    f"<tr><td>the other {len(others)}</td>"
                    f"<td align=right>{number(rest)}</td><td></td></tr>"
                )
            detail = followed[0] if followed is not None else int(order[0])
            source = self._layer_name(step.layer - 1) if step.layer else "the input"
            which = (
                f"The channel the followed value is on (tinted), {html.escape(source)} map "
                f"{detail + 1}; its cell outlined:"
                if followed is not None
                else f"The largest, channel {detail + 1}:"
            )
            body = (
                f"Each of the {channels} input channels has its own {k}×{k} weights; each "
                f"channel's window times its weights gives one contribution:"
                f"<table>{''.join(rows)}</table>"
                f"<p>{which}</p>"
                + window_times_weights(
                    step.inputs[detail],
                    step.weights[detail],
                    ("its window", "its weights"),
                    outline=followed[1:] if followed else None,
                    room=self._room,
                    metrics=metrics,
                )
            )
            sums = f"sum of the {channels} contributions = {number(total)}"
        return (
            f"<p><b>{name}</b> (convolution): filter {step.channel + 1} laid on {where}.</p>"
            f"{body}<p>{sums}<br>+ bias {number(step.bias)}<br>"
            f"= <b>{number(step.value)}</b></p>"
        )

    def _padded(self, step: ConvStep) -> bool:
        _, height, width = layer_input(self.viewer.trace, step.layer).shape
        k = step.inputs.shape[1]
        return min(step.top, step.left) < 0 or step.top + k > height or step.left + k > width

    def _average_html(self, step: AverageStep) -> str:
        """A global average: one map's values added up and divided by their count."""
        height, width = step.values.shape
        count = step.values.size
        name = self._layer_name(step.layer - 1) if step.layer else "the input"
        text = (
            f"<p><b>{html.escape(self._layer_name(step.layer))}</b> (global average pooling): "
            f"unit {step.unit + 1} is the average of the {height}×{width} = {count} values of "
            f"{html.escape(name)} map {step.unit + 1}.</p>"
            f"<p>their sum {number(step.total)} / {count} = <b>{number(step.value)}</b></p>"
        )
        if step.followed is not None:
            row, col = step.followed
            text += (
                f"<p>Its largest value, row {row + 1}, column {col + 1} "
                f"({number(float(step.values[row, col]))}), is followed back.</p>"
            )
        return text

    def _flatten_html(self, step: FlattenStep) -> str:
        channels, height, width = step.shape
        channel, row, col = step.source
        source = self._layer_name(step.layer - 1) if step.layer else "the input"
        size = channels * height * width
        return (
            f"<p><b>{html.escape(self._layer_name(step.layer))}</b> (flatten) lays "
            f"{html.escape(source)}'s {channels} maps of {height}×{width} out as one list of "
            f"{channels} × {height} × {width} = {size} numbers: map after map, each row after "
            f"row. Map {channel + 1}, row {row + 1}, column {col + 1} is number</p>"
            f"<p>({channel + 1} − 1) × {height * width} + ({row + 1} − 1) × {width} + "
            f"{col + 1} = <b>{step.index + 1}</b> of {size},</p>"
            f"<p>unchanged: <b>{number(step.value)}</b>. Every unit of the dense layer "
            f"after it reads all {size}.</p>"
        )

    def _dense_html(self, step: DenseStep) -> str:
        """A dense unit: its largest contributions, the sum, the bias."""
        network = self.viewer.network_shown
        largest = float(np.abs(step.products).max()) or 1.0
        listed = list(step.order[:TOP_CHANNELS])
        if step.followed is not None and step.followed not in listed:
            listed.append(step.followed)
        rows = []
        for i in listed:
            cells = (
                f"<td>{html.escape(self._input_name(step.layer, int(i)))}</td>"
                f"<td align=right style='white-space:nowrap'>"
                f"{number(float(step.inputs[i]))}</td>"
                f"<td align=right style='white-space:nowrap'>× "
                f"{number(float(step.weights[i]))}</td>"
                f"<td align=right style='white-space:nowrap'>= "
                f"{number(float(step.products[i]))}</td>"
                f"<td>{bar_html(float(step.products[i]), largest)}</td>"
            )
            rows.append(on_route(cells) if i == step.followed else f"<tr>{cells}</tr>")
        count = len(step.inputs)
        others = [i for i in step.order if i not in listed]
        rest = float(step.products[others].sum()) if others else 0.0
        others_line = f"the other {len(others)} products: {number(rest)}<br>" if others else ""
        logit = step.layer == len(network.layers) - 1
        what = f"the logit of digit {self._digit(step.unit)}" if logit else f"unit {step.unit + 1}"
        followed = "<p>Tinted: the value followed.</p>" if step.followed is not None else ""
        return (
            f"<p><b>{html.escape(self._layer_name(step.layer))}</b> (dense): {what} "
            f"multiplies each of the {count} values before it by its own weight and adds "
            "them up. The largest products:</p>"
            f"<table cellspacing=2>{''.join(rows)}</table>{followed}"
            f"<p>{others_line}"
            f"sum of all {count} = {number(float(step.products.sum()))}<br>"
            f"+ bias {number(step.bias)}<br>= <b>{number(step.value)}</b></p>"
        )

    def _activation_html(self, step: ActivationStep) -> str:
        name = html.escape(self._layer_name(step.layer))
        rule = (
            f"max(0, {number(step.before)})"
            if step.kind == "relu"
            else f"{html.escape(step.kind)}({number(step.before)})"
        )
        kind = html.escape(step.kind)
        return f"<p><b>{name}</b> ({kind}): {rule} = <b>{number(step.after)}</b></p>"

    def _pool_html(self, step: PoolStep) -> str:
        name = html.escape(self._layer_name(step.layer))
        what = "the largest" if step.kind == "max" else "the average"
        return (
            f"<p><b>{name}</b> ({step.kind} pooling): the 2×2 window holding this value "
            f"(outlined) becomes row {step.row + 1}, column {step.col + 1} of the pooled map, "
            f"keeping {what} of its four values:</p>"
            + grid_html(step.values, "the window", bold=step.winner, outline=step.followed)
            + f"<p>= <b>{number(step.value)}</b></p>"
            + (
                "<p><i>The followed value (outlined) is not the largest: the pooled map keeps "
                "another (bold), and the route goes on from it.</i></p>"
                if step.winner is not None
                and step.followed is not None
                and step.values[step.followed] != step.value
                else ""
            )
        )

    def _softmax_table(self, step: SoftmaxStep, digit: int, with_z: bool) -> str:
        """The softmax table, each cell kept on one line; ``with_z``: the logit column."""
        scaled = step.temperature != 1.0
        whole = "style='white-space:nowrap'"
        rows = []
        for d in range(len(step.logits)):
            cells = (
                f"<td {whole}>{self._digit(d)}</td>"
                + (
                    f"<td align=right {whole}>{number(float(step.logits[d]))}</td>"
                    if with_z
                    else ""
                )
                + (
                    f"<td align=right {whole}>{number(float(step.scaled[d]))}</td>"
                    if scaled
                    else ""
                )
                + f"<td align=right {whole}>{step.shifted_exps[d]:.3f}</td>"
                f"<td align=right {whole}>{step.probabilities[d]:.3f}</td>"
            )
            rows.append(on_route(cells) if d == digit else f"<tr>{cells}</tr>")
        return (
            f"<table cellspacing=3><tr><th {whole}>digit</th>"
            + (f"<th {whole}>z</th>" if with_z else "")
            + (f"<th {whole}>s = z/T</th>" if scaled else "")
            + f"<th {whole}>e<sup>s−max</sup></th><th {whole}>share</th></tr>"
            + "".join(rows)
            + "</table>"
        )

    def _softmax_html(self, step: SoftmaxStep) -> str:
        """Each digit's share: e^(s - max s) over their sum, s the logit over T."""
        scaled = step.temperature != 1.0
        digit = step.digit if step.digit is not None else int(step.order[0])
        count = len(step.logits)
        # Every cell whole: a word or number broken over two lines ("sh / ar / e", "0.0 /
        # 00") is unreadable. Where the panel is too narrow for all five columns (1024 in
        # presentation type), z goes: s is what softmax takes, and the stage before shows z.
        table = self._softmax_table(step, digit, with_z=True)
        with_z = not scaled or html_width(table, self.text.font()) <= self._room
        if not with_z:
            table = self._softmax_table(step, digit, with_z=False)
        temperature = (
            f", with s the logit z divided by the model's temperature T = {step.temperature:.3f}"
            + ("" if with_z else " (z left out for room: the logits stage before shows it)")
            if scaled
            else ", with s the logit z"
        )
        share = float(step.shifted_exps[digit] / step.total)
        return (
            f"<p><b>softmax</b>: each digit's share is e<sup>s − max s</sup> over the sum of "
            f"e<sup>s − max s</sup> for all {count}{temperature}.</p>"
            + table
            + f"<p>sum of e<sup>s − max</sup> = {step.total:.3f}<br>"
            f"share of digit {self._digit(digit)} = {step.shifted_exps[digit]:.3f} / "
            f"{step.total:.3f} = <b>{share:.3f}</b>, the {share:.1%} the chart shows.</p>"
        )


DOCK_MIN_WIDTH = 340


class DetailDock(QDockWidget):
    """The detail view at the window's side: shown while a value is followed."""

    opening = Signal()  # about to show: the window's width is still its own
    put_away = Signal()  # hidden (not merely with its window)

    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__("Follow one number", parent)
        self.setObjectName("detail_dock")
        self.viewer = viewer
        self.detail = DetailView(viewer)
        self.setWidget(self.detail)
        # Its tables of numbers side by side, and still narrow enough that the panels
        # beside it (the drawing's 320 px, the network's 320) and it fit a 1024 px screen.
        self.setMinimumWidth(DOCK_MIN_WIDTH)
        viewer.focus_changed.connect(self._on_viewer_focus_changed)
        self.detail.closed.connect(self.hide)
        self.dockLocationChanged.connect(self._on_dock_location_changed)
        self.topLevelChanged.connect(self._on_dock_location_changed)
        self.hide()

    def _in_drawings_place(self) -> bool:
        """At the window's left: the window hides the drawing's column for it."""
        window = self.parentWidget()
        return (
            isinstance(window, QMainWindow)
            and not self.isFloating()
            and window.dockWidgetArea(self) == Qt.DockWidgetArea.LeftDockWidgetArea
        )

    def _on_dock_location_changed(self, *_) -> None:
        self.detail.show_answer(self._in_drawings_place())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.detail.show_answer(self._in_drawings_place())

    def follow_bar_clicks(self, softmax: pg.PlotWidget) -> None:
        """A click on a bar of the softmax chart follows that digit's share back through
        the network. (The logits chart follows its own clicks: ``EndView``; a second
        handler here would read the click after the first had opened this panel and
        re-laid the chart out, and pick another bar.)"""
        softmax.scene().sigMouseClicked.connect(
            lambda event, p=softmax: self._on_bar_clicked(event, p)
        )

    def _on_bar_clicked(self, event, plot: pg.PlotWidget) -> None:
        network = self.viewer.network_shown
        if network is None or event.button() != Qt.MouseButton.LeftButton:
            return
        box = plot.getPlotItem().getViewBox()
        where: QPointF = event.scenePos()
        if not box.sceneBoundingRect().contains(where):
            return
        digit = round(box.mapSceneToView(where).x())
        if not 0 <= digit < class_count(network):
            return
        last = len(network.layers) - 1
        self.viewer.set_focus(last, digit, 0, 0)
        if self.viewer.focus is not None:
            self.detail.go_to_layer(last + 1)
            # The strip and the middle panel go to softmax too, as Next and Previous take
            # them: the panel on softmax beside a dense stage read as two routes.
            self.detail.show_stage()

    def _on_viewer_focus_changed(self) -> None:
        following = self.viewer.focus is not None
        if following and self.isHidden():
            self.opening.emit()
        self.setVisible(following)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if self.isHidden():
            self.put_away.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closed with its title bar's button: stop following the value."""
        self.viewer.clear_focus()
        super().closeEvent(event)
