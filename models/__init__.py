"""The trained models that ship with digitpad; digitpad.core.bundled names them."""
