"""The numpy-only core: no Qt, no torch (see DESIGN.md)."""
