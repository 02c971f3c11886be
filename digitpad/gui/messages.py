"""Message boxes that show text from files and paths as text, never as markup.

Qt guesses whether a message is rich text; a model's name like ``<img src=...>`` would be
rendered (and loaded). Everything shown here is escaped and wrapped so Qt always renders
it as escaped rich text: what the file says appears literally.
"""

from __future__ import annotations

import html
import sys

from PySide6.QtWidgets import QMessageBox, QWidget


def as_text(text: str) -> str:
    """Any text, made safe for a widget that interprets rich text; newlines kept."""
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


class Messages:
    """Tells the user things: message boxes, or stderr when there is nobody to close them."""

    def __init__(self, parent: QWidget, headless: bool = False) -> None:
        self.parent = parent
        self.headless = headless

    def complain(self, kind: str, title: str, text: str) -> None:
        """kind: 'critical', 'warning' or 'information'; text is plain."""
        if self.headless:
            print(f"digitpad: {text}", file=sys.stderr)
            return
        getattr(QMessageBox, kind)(self.parent, title, as_text(text))

    def confirm(self, title: str, text: str, default_yes: bool = True) -> bool:
        """Yes or No; ``default_yes`` False: Enter answers No (for what cannot be undone)."""
        if self.headless:
            return False
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        answer = QMessageBox.question(
            self.parent, title, as_text(text), yes | no, yes if default_yes else no
        )
        return answer == yes
