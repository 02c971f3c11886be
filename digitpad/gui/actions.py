"""Every menu command, declared once: the menus and Help > Keyboard Shortcuts both read this.

Shortcuts are shown as the platform writes them (Ctrl+Z here, ⌘Z on macOS), from the
actions themselves, so the help can never disagree with the keys that work.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

Key = QKeySequence.StandardKey | str


@dataclass(frozen=True)
class ActionSpec:
    name: str  # the key of its slot and of the created QAction
    menu: str
    text: str
    shortcuts: tuple[Key, ...] = ()
    tip: str = ""
    checkable: bool = False
    # Its keys go first to the focused control when that control has a use for them
    # (Enter presses a focused button): a window-wide shortcut would otherwise win.
    focus_first: bool = False
    help_group: str = ""  # its heading in Help > Keyboard Shortcuts, if not its menu's

    @property
    def group(self) -> str:
        return self.help_group or self.menu


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "open_image",
        "File",
        "&Open Image…",
        (QKeySequence.StandardKey.Open,),
        "Open a PNG, JPEG or BMP image of a digit onto the canvas",
    ),
    ActionSpec(
        "save_drawing",
        "File",
        "&Save Drawing…",
        (QKeySequence.StandardKey.Save,),
        "Save the canvas as a PNG",
    ),
    ActionSpec(
        "export_panels", "File", "&Export Panels…", ("Ctrl+E",), "Save all the panels as one PNG"
    ),
    ActionSpec("quit", "File", "&Quit", (QKeySequence.StandardKey.Quit,), "Close digitpad"),
    ActionSpec(
        "undo", "Edit", "&Undo Stroke", (QKeySequence.StandardKey.Undo,), "Undo the last stroke"
    ),
    ActionSpec("redo", "Edit", "&Redo Stroke", ("Ctrl+Shift+Z", "Ctrl+Y"), "Redo a stroke"),
    ActionSpec("clear", "Edit", "&Clear", ("Esc", "Delete"), "Clear the canvas"),
    ActionSpec(
        "eraser",
        "Edit",
        "&Eraser",
        ("E",),
        "Erase instead of draw (right-drag erases too)",
        checkable=True,
    ),
    ActionSpec("thinner", "Edit", "&Thinner Pen", ("[",), "Make the pen thinner"),
    ActionSpec("thicker", "Edit", "T&hicker Pen", ("]",), "Make the pen thicker"),
    ActionSpec(
        "open_model", "Model", "&Open Model File…", ("Ctrl+M",), "Load a digitpad model (.npz)"
    ),
    ActionSpec(
        "model_info",
        "Model",
        "Model &Info",
        ("Ctrl+I",),
        "Architecture, parameters, accuracy and date of the current model",
    ),
    ActionSpec(
        "export_model", "Model", "E&xport Model…", (), "Save a copy of the current model file"
    ),
    ActionSpec("rename_model", "Model", "Re&name Model…", (), "Rename your current model"),
    ActionSpec("delete_model", "Model", "&Delete Model…", (), "Delete your current model"),
    ActionSpec(
        "revert",
        "Model",
        "Revert to &Bundled Default",
        (),
        "Go back to the model digitpad ships with",
    ),
    ActionSpec(
        "evaluate",
        "Model",
        "&Evaluate…",
        ("Ctrl+Shift+E",),
        "Where the model in use errs, on MNIST's test set, your samples or pen-written "
        "digits, with the digits behind each mistake",
    ),
    ActionSpec(
        "retrain",
        "Model",
        "&Retrain…",
        ("F5",),
        "Train a new network on MNIST and watch it learn",
    ),
    ActionSpec(
        "fixed_scales",
        "View",
        "&Fixed Colour Scales",
        (),
        "On: each layer keeps one colour scale for every drawing, so colours can be "
        "compared. Off: each panel scales itself to the drawing.",
        checkable=True,
    ),
    ActionSpec(
        "watch_convolution",
        "View",
        "&Watch a Convolution…",
        (),
        "One filter slides over its input and builds its feature map value by value",
    ),
    ActionSpec(
        "zoom_in",
        "View",
        "Zoom &In",
        (QKeySequence.StandardKey.ZoomIn, "Ctrl+="),
        "Larger type and panels",
    ),
    ActionSpec(
        "zoom_out", "View", "Zoom &Out", (QKeySequence.StandardKey.ZoomOut,), "Smaller type"
    ),
    ActionSpec(
        "zoom_reset",
        "View",
        "&Actual Size",
        ("Ctrl+0",),
        "Type at the system's size (presentation mode's 1.5 times in presentation mode)",
    ),
    ActionSpec(
        "full_screen",
        "View",
        "&Full Screen",
        (QKeySequence.StandardKey.FullScreen, "F11"),
        "The whole screen for digitpad",
        checkable=True,
    ),
    ActionSpec(
        "teach_confirm",
        "Samples",
        "&It Read It Right",
        ("Return", "Enter"),
        "Keep the drawing as one of your samples, labelled with the answer shown",
        focus_first=True,
        help_group="Teaching",
    ),
    *(
        ActionSpec(
            f"teach_{digit}",
            "Samples",
            f"It Is a &{digit}",
            (str(digit),),
            f"Keep the drawing as one of your samples, labelled {digit}",
            help_group="Teaching",
        )
        for digit in range(10)
    ),
    ActionSpec(
        "teach_not_a_digit",
        "Samples",
        "It Is &Not a Digit",
        ("N",),
        "Keep the drawing as one of your samples, labelled 'not a digit' (a letter, a "
        "doodle): a network with that output learns it so",
        help_group="Teaching",
    ),
    ActionSpec(
        "samples_browser",
        "Samples",
        "My &Samples…",
        ("Ctrl+Shift+S",),
        "Your samples by digit: relabel, delete, open on the canvas, export, import",
    ),
    ActionSpec(
        "presentation",
        "View",
        "&Presentation Mode",
        ("F9",),
        "For a projector: type at least 1.5 times larger, black on white, thicker outlines, "
        "only the main controls",
        checkable=True,
    ),
    ActionSpec(
        "guide",
        "Help",
        "&What Am I Seeing?",
        ("F2",),
        "A paragraph per stage of the network, in plain words, beside the panels",
        checkable=True,
    ),
    ActionSpec(
        "shortcuts",
        "Help",
        "&Keyboard Shortcuts",
        (QKeySequence.StandardKey.HelpContents,),
        "Every key digitpad answers to",
    ),
    ActionSpec("about", "Help", "&About digitpad", (), "Version, credits and the current model"),
)

MENUS = ("File", "Edit", "View", "Model", "Samples", "Help")
# Keys a panel answers to while it is open, not menu commands: its widget makes the
# shortcuts (detail_view.py, convolution_view.py); a test checks these are exactly those.
PANEL_KEYS: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    (
        "Follow a value",
        (
            ("Next stage, toward the answer", ("Alt+Right",)),
            ("Previous stage, toward the input", ("Alt+Left",)),
        ),
    ),
    (
        "Watch a Convolution",
        (
            ("Play or pause", ("Space",)),
            ("One value on", ("Right",)),
            ("One value back", ("Left",)),
            ("Faster", ("Up", "+", "=")),
            ("Slower", ("Down", "-")),
            ("Back to the start", ("Home",)),
            ("To the end", ("End",)),
        ),
    ),
)
# The headings of Help > Keyboard Shortcuts, in order.
HELP_GROUPS = (*MENUS, "Teaching", *(heading for heading, _ in PANEL_KEYS))
# What the mouse and pen do: not actions, but part of the same help (under Edit).
GESTURES = (
    ("Draw", "Left button or pen"),
    ("Erase", "Right button or eraser end"),
)


def create_actions(parent: QWidget) -> dict[str, QAction]:
    """One QAction per spec, added to ``parent`` so its shortcuts work window-wide.

    Each owner connects the actions it serves with ``connect_actions``."""
    actions = {}
    for spec in ACTIONS:
        action = QAction(spec.text, parent)
        action.setObjectName(spec.name)
        keys: list[QKeySequence] = []
        for key in spec.shortcuts:  # a standard key may already be one of the others
            for sequence in (
                QKeySequence.keyBindings(key)
                if isinstance(key, QKeySequence.StandardKey)
                else [QKeySequence(key)]
            ):
                if not sequence.isEmpty() and sequence not in keys:
                    keys.append(sequence)
        action.setShortcuts(keys)
        if spec.tip:
            action.setStatusTip(spec.tip)
            action.setToolTip(spec.tip)
        action.setCheckable(spec.checkable)
        parent.addAction(action)
        action.changed.connect(GreyedSaysWhy(action, spec).update)
        actions[spec.name] = action
    focus_first = [
        key for spec in ACTIONS if spec.focus_first for key in actions[spec.name].shortcuts()
    ]
    if focus_first:
        parent.installEventFilter(FocusedControlFirst(focus_first, parent))
    return actions


class GreyedSaysWhy(QObject):
    """A greyed action whose owner set a status tip other than its own says why in its menu
    text and tooltip: a disabled menu entry shows no status tip when pointed at (Zoom In
    at its limit: "larger type would not fit this screen")."""

    def __init__(self, action: QAction, spec: ActionSpec) -> None:
        super().__init__(action)
        self.action, self.spec = action, spec

    def update(self) -> None:
        action, spec = self.action, self.spec
        tip = action.statusTip()
        why = tip if not action.isEnabled() and tip and tip != spec.tip else ""
        text = f"{spec.text} ({why[0].lower()}{why[1:].rstrip('.')})" if why else spec.text
        if action.text() != text:  # each change emits changed again: only when it differs
            action.setText(text)
        if action.toolTip() != (why or spec.tip):
            action.setToolTip(why or spec.tip)


def takes_enter(widget: QWidget) -> bool:
    """Whether Enter does something of its own on ``widget``: presses a button, picks from
    a list or a combo box, ends an entry, follows a link."""
    if isinstance(widget, (QAbstractButton, QComboBox, QAbstractItemView, QAbstractSpinBox)):
        return True
    if isinstance(widget, QLineEdit):
        return not widget.isReadOnly()
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        flags = widget.textInteractionFlags()
        wanted = (
            Qt.TextInteractionFlag.TextEditable | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        return bool(flags & wanted)
    return False


class FocusedControlFirst(QObject):
    """Lets the focused control have the keys of window-wide shortcuts it has a use for.

    Qt offers a key to the focused widget as a ShortcutOverride before it triggers a
    shortcut; an override nobody accepts travels up to the window, where this filter sits.
    For a control that takes Enter it accepts the override, so the key goes to the control;
    a button that lets Enter pass (Qt's buttons answer only Space outside dialogs) is then
    pressed here, as the key promised."""

    # A key of a window-wide shortcut went to the focused control instead (Enter pressed
    # the stage button just clicked rather than keeping the drawing): the control.
    went_to_control = Signal(QWidget)

    def __init__(self, keys: list[QKeySequence], parent: QWidget) -> None:
        super().__init__(parent)
        self.keys = keys

    def _is_ours(self, event: QKeyEvent) -> bool:
        # Enter on the keypad carries the keypad modifier; the shortcut ignores it too.
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        pressed = QKeySequence(QKeyCombination(modifiers, Qt.Key(event.key())))
        return pressed in self.keys

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        focused = QApplication.focusWidget()
        if focused is None or not takes_enter(focused) or not self._is_ours(event):
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # the key goes to the focused control, not to the shortcut
            self.went_to_control.emit(focused)
            return True
        if isinstance(focused, QAbstractButton):  # the control let the key pass
            focused.click()
            return True
        return False


def connect_actions(actions: dict[str, QAction], slots: dict[str, Callable]) -> None:
    unknown = set(slots) - set(actions)
    if unknown:
        raise ValueError(f"no such actions: {sorted(unknown)}")
    for name, slot in slots.items():
        actions[name].triggered.connect(slot)


def menu_actions(actions: dict[str, QAction], menu: str) -> list[QAction]:
    return [actions[spec.name] for spec in ACTIONS if spec.menu == menu]


def plain_text(text: str) -> str:
    """'&Open Image…' -> 'Open Image'."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…")


# Standard shortcuts also bind keys few keyboards have (Undo, Open, Zoom In, F14, Exit):
# listed, they puzzle more than they help. Named keys that every keyboard has stay.
_NAMED_KEYS = {"Backspace", "Del", "Delete", "Enter", "Esc", "Return", "Space", "Tab"}
_DEDICATED_KEY = re.compile(r"F(1[3-9]|[2-3][0-9])|[A-Z][a-z]+( [A-Z][a-z]+)*")


def on_a_keyboard(key: str) -> bool:
    """Whether a key sequence, as this platform writes it, is typed on an ordinary keyboard."""
    return key in _NAMED_KEYS or _DEDICATED_KEY.fullmatch(key) is None


def keys_of(action: QAction) -> str:
    """An action's keys as this platform writes them, those of special keyboards left out:
    'Ctrl+Shift+Z or Ctrl+Y', or '' for none."""
    keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
    return " or ".join(key for key in keys if key and on_a_keyboard(key))


def shortcut_groups(actions: dict[str, QAction]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(heading, [(what, keys)]) for each group of Help > Keyboard Shortcuts, in menu
    order: every action that has a key, and the gestures."""
    rows: dict[str, list[tuple[str, str]]] = {group: [] for group in HELP_GROUPS}
    rows["Edit"] += GESTURES
    for spec in ACTIONS:
        if spec.name.startswith("teach_") and spec.name[-1].isdigit():
            if spec.name == "teach_0":  # ten actions, one row
                rows[spec.group].append(("Keep the drawing as that digit", "0 … 9"))
            continue
        keys = keys_of(actions[spec.name])
        if keys:
            rows[spec.group].append((plain_text(spec.text), keys))
    undo = keys_of(actions["undo"]).split(" or ")[0]
    if undo:  # the Edit menu's Undo, which also takes back the sample just kept
        rows["Teaching"].append(("Undo a keep", undo))
    for heading, entries in PANEL_KEYS:
        rows[heading] += [
            (
                what,
                " or ".join(
                    QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
                    for key in keys
                ),
            )
            for what, keys in entries
        ]
    return [(group, rows[group]) for group in HELP_GROUPS if rows[group]]


def shortcuts_html(actions: dict[str, QAction]) -> str:
    """Every gesture and every action that has a key, as this platform writes keys, under
    the heading of its menu, in two columns so a small screen shows them all."""
    groups = shortcut_groups(actions)
    # Split where the two columns come nearest in lines (a heading counts as two).
    heights = [len(rows) + 2 for _, rows in groups]
    split = min(
        range(1, len(groups)),
        key=lambda at: abs(sum(heights[:at]) - sum(heights[at:])),
        default=len(groups),
    )
    columns = [_column_html(groups[:split]), _column_html(groups[split:])]
    cells = "<td width='32'></td>".join(f"<td valign='top'>{column}</td>" for column in columns)
    note = (
        "<p>Enter keeps the drawing while the canvas has the focus (drawing puts it there);<br>"
        "on a focused button, list or box it acts on that control.</p>"
    )
    return f"<table><tr>{cells}</tr></table>{note}"


def _column_html(groups: list[tuple[str, list[tuple[str, str]]]]) -> str:
    rows = []
    for index, (heading, entries) in enumerate(groups):
        space = "" if index == 0 else "<tr><td colspan='2'>&nbsp;</td></tr>"
        rows.append(
            f"{space}<tr><td colspan='2' style='font-size:large'><b>{html.escape(heading)}"
            "</b></td></tr>"
        )
        rows += [
            f"<tr><td style='white-space:nowrap'>{html.escape(what)}</td>"
            f"<td style='white-space:nowrap'>&nbsp;&nbsp;<b>{html.escape(keys)}</b></td></tr>"
            for what, keys in entries
        ]
    return f"<table>{''.join(rows)}</table>"
