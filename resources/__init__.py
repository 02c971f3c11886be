"""Icons and desktop-integration files installed with digitpad."""
