"""Qt widgets: thin views over the core models."""
