"""The one place that runs models for the UI: frozen requests → one worker
thread → responses by queued signal, newest wins."""
