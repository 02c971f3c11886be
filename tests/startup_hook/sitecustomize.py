"""Put on PYTHONPATH by the start-up interrupt tests (tests/test_entry.py, the hostile
suite): holds a digitpad process still at one moment of its start, so a signal sent from
outside lands exactly there.

DIGITPAD_TEST_STALL_ON names a module: when it is first looked for, this creates the file
DIGITPAD_TEST_STALL_FILE (the sender waits for it) and sleeps DIGITPAD_TEST_STALL_S
seconds (1 by default) inside that import, then lets the import go on.
"""

from __future__ import annotations

import os
import sys
import time


class StallOnImport:
    def __init__(self, name: str, marker: str, seconds: float) -> None:
        self.name, self.marker, self.seconds = name, marker, seconds

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == self.name:
            sys.meta_path.remove(self)  # once
            with open(self.marker, "w"):
                pass
            time.sleep(self.seconds)  # a handler that only notes a signal lets it go on
        return None


if os.environ.get("DIGITPAD_TEST_STALL_ON"):
    sys.meta_path.insert(
        0,
        StallOnImport(
            os.environ["DIGITPAD_TEST_STALL_ON"],
            os.environ["DIGITPAD_TEST_STALL_FILE"],
            float(os.environ.get("DIGITPAD_TEST_STALL_S", "1")),
        ),
    )
