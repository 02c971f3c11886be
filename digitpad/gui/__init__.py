"""The Qt desktop app; it depends on digitpad.core, never the other way round."""
