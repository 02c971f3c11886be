"""digitpad: draw a digit and watch a NumPy CNN recognise it."""

__version__ = "0.1.0"
