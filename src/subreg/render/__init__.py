"""Rendering: Jinja2 environments per output format, and per-language formatting."""
