"""The window's two columns: how the width is divided, and who gives way to a side panel."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QWidget

from digitpad.gui.workspace import LEFT_SHARE, Workspace


def test_the_drawing_gives_way_to_a_side_panel_before_the_network_panels(qtbot):
    """A side panel opening beside the window takes its room from the drawing's column
    first: the stage being looked at keeps its size (the splitter alone shrank both)."""
    beside = [0]
    drawing = QWidget()
    drawing.setMinimumWidth(200)
    space = Workspace(drawing, QWidget(), QWidget(), beside=lambda: beside[0])
    qtbot.addWidget(space)
    space.resize(1200, 600)
    space.show()
    qtbot.waitExposed(space)
    assert abs(drawing.width() - LEFT_SHARE * 1200) <= 2
    panels = space.panels_widget.width()
    beside[0] = 100  # a 100 px panel: the drawing can give all of it
    space.resize(1100, 600)
    QApplication.processEvents()
    assert abs(space.panels_widget.width() - panels) <= 2
    assert abs(drawing.width() - (LEFT_SHARE * 1200 - 100)) <= 2
    beside[0] = 400  # more than it can give: it stops at its narrowest
    space.resize(800, 600)
    QApplication.processEvents()
    assert drawing.width() == 200
    assert space.panels_widget.width() == 800 - 200 - space.handleWidth()
    beside[0] = 0  # closed: back to the shares
    space.resize(1200, 600)
    QApplication.processEvents()
    assert abs(drawing.width() - LEFT_SHARE * 1200) <= 2
