"""View > Zoom, Full Screen and Presentation Mode: digitpad on a projector.

Zoom sets the type size of the window's widgets (not the application's font: the other
windows keep theirs), and every panel sizes its own drawn type from it. Presentation mode
zooms to at least 1.5x, turns the panels black on white with thicker outlines and hides
the secondary controls. Both are remembered between runs.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QAction, QFont, QPalette
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

from digitpad.gui.actions import connect_actions
from digitpad.gui.settings import AppSettings
from digitpad.gui.theme import high_contrast_palette, set_high_contrast

ZOOM_STEPS = (0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5)
PRESENTATION_ZOOM = 1.5
# A window manager's title bar, which the screen's free area must hold beside the window.
TITLE_BAR = 32
# The window at its narrowest fits this share of the screen's width: at its narrowest the
# maps are dots (2.5x at 1280 px left them 15 px wide), so the type stops growing sooner.
SCREEN_SHARE = 0.85


def nearest_step(zoom: float) -> float:
    return min(ZOOM_STEPS, key=lambda step: abs(step - zoom))


class Presentation(QObject):
    def __init__(
        self,
        window: QMainWindow,
        actions: dict[str, QAction],
        settings: AppSettings,
        zoomed: list[QWidget],
        secondary: list[QWidget],
    ) -> None:
        """``zoomed``: the widgets whose type follows the zoom (their children follow them);
        ``secondary``: what presentation mode hides."""
        super().__init__(window)
        self.window, self.actions, self.settings = window, actions, settings
        self.zoomed, self.secondary = zoomed, secondary
        self.zoom = nearest_step(settings.zoom() or 1.0)
        self.presenting = settings.presentation()
        # The smallest type size found too large for this screen: zooming stops below it
        # (at 2.5x on a 1024x600 screen the drawing's buttons alone took 690 px).
        self.too_large: float | None = None
        self._hint = actions["zoom_in"].statusTip()
        connect_actions(
            actions,
            {
                "zoom_in": self.zoom_in,
                "zoom_out": self.zoom_out,
                "zoom_reset": self.zoom_reset,
                "full_screen": self.set_full_screen,
                "presentation": self.set_presenting,
            },
        )
        if self.presenting or self.zoom != 1.0:  # as the last run left it
            self._apply(save=False)
            self._fit_screen(save=False)
        else:
            self._update_actions()

    @property
    def factor(self) -> float:
        """The type size in use, relative to the system's."""
        return max(self.zoom, PRESENTATION_ZOOM) if self.presenting else self.zoom

    def zoom_in(self) -> None:
        larger = [step for step in ZOOM_STEPS if step > self.factor]
        if larger and self._may_grow_to(larger[0]):
            size = self.window.size()
            self.zoom = larger[0]
            self._apply()
            self._fit_screen()
            if self.factor < larger[0] and not self.window.isMaximized():
                self.window.resize(size)  # the larger type had widened it

    def _may_grow_to(self, factor: float) -> bool:
        return self.too_large is None or factor < self.too_large

    def fits_screen(self) -> bool:
        """Whether the window at its smallest fits the screen's free area, with room to
        spare across: larger type must never push the window past its edges."""
        screen = self.window.screen()
        if screen is None:
            return True
        # The sizes of the new type: splitters and stacks take theirs on a posted event,
        # which can post another to their parent.
        smallest = None
        for _ in range(5):
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest.value)
            before, smallest = smallest, self.window.minimumSizeHint()
            if smallest == before:
                break
        smallest = smallest.expandedTo(self.window.minimumSize())
        room = screen.availableGeometry().size()
        return (
            smallest.width() <= room.width() * SCREEN_SHARE
            and smallest.height() + TITLE_BAR <= room.height()
        )

    def _fit_screen(self, save: bool = True) -> None:
        """Back down the zoom steps while the window does not fit its screen, and zoom
        in no further there."""
        while not self.fits_screen():
            smaller = [step for step in ZOOM_STEPS if step < self.factor]
            least = PRESENTATION_ZOOM if self.presenting else 1.0
            if not smaller or smaller[-1] < least:
                break  # never smaller than the system's type (or presentation mode's)
            self.too_large = self.factor
            self.zoom = smaller[-1]
            self._apply(save)
        self._update_actions()

    def zoom_out(self) -> None:
        smaller = [step for step in ZOOM_STEPS if step < self.factor]
        if smaller:
            self.zoom = smaller[-1]
            if self.presenting and self.zoom < PRESENTATION_ZOOM:
                self.presenting = False  # below its size is no longer a presentation
            self._apply()

    def zoom_reset(self) -> None:
        # Only the zoom: presentation mode is F9's to leave (in it, the type is its 1.5x).
        self.zoom = 1.0
        self._apply()

    def set_full_screen(self, on: bool) -> None:
        if on:
            self.window.showFullScreen()
        else:
            self.window.showNormal()

    def set_presenting(self, on: bool) -> None:
        self.presenting = on  # a zoom above 1.5x is kept; leaving goes back to it
        self._apply()
        self._fit_screen()

    def screen_changed(self) -> None:
        """On another screen the limit found is another: find it again."""
        self.too_large = None
        self._fit_screen()

    def _update_actions(self) -> None:
        self.actions["presentation"].setChecked(self.presenting)
        self.actions["zoom_out"].setEnabled(self.factor > ZOOM_STEPS[0])
        larger = [step for step in ZOOM_STEPS if step > self.factor]
        zoom_in = self.actions["zoom_in"]
        zoom_in.setEnabled(bool(larger) and self._may_grow_to(larger[0]))
        # Greyed, it says why (GreyedSaysWhy puts the tip in its menu text): no larger
        # step at all, or a larger one that would not fit this screen.
        if not larger:
            zoom_in.setStatusTip("This is the largest zoom")
        elif not self._may_grow_to(larger[0]):
            zoom_in.setStatusTip("Larger type would not fit this screen")
        else:
            zoom_in.setStatusTip(self._hint)

    def _apply(self, save: bool = True) -> None:
        self._update_actions()
        set_high_contrast(self.presenting)
        if self.factor == 1.0:
            font = QFont()  # nothing set: the system's type, and its later changes
        else:
            font = QFont(QApplication.font())
            font.setPointSizeF(QApplication.font().pointSizeF() * self.factor)
        palette = high_contrast_palette() if self.presenting else QPalette()
        for widget in self.zoomed:
            widget.setPalette(palette)  # Themed panels re-colour on this change
            widget.setFont(font)
        for widget in self.secondary:
            widget.setVisible(not self.presenting)
        self.window.statusBar().setVisible(not self.presenting)
        if save:
            self.settings.save_view(self.zoom, self.presenting)

    def release(self) -> None:
        """The window closes: black on white was its, not the application's."""
        set_high_contrast(False)

    def sync_full_screen(self) -> None:
        """The window left or entered full screen by other means (the window manager)."""
        full = bool(self.window.windowState() & Qt.WindowState.WindowFullScreen)
        if self.actions["full_screen"].isChecked() != full:
            self.actions["full_screen"].setChecked(full)
