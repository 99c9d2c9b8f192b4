"""Backends: the stable primitives written once per array namespace, and printers for SymPy forms."""
