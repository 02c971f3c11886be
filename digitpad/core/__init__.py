"""The NumPy engine, data and file formats: no Qt anywhere below this package."""
