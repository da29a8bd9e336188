"""The work behind each CLI sub-command, callable from Python and the GUI."""
