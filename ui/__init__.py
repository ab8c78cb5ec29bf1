"""Gradio chat UI: ``python -m ui [--host H] [--port P] [--corpus DIR]``."""
