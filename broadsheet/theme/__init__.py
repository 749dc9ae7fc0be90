"""The built-in theme: templates, static files, and the phrases they speak in each language.

A site's own templates/ and static/ override these file by file (see build/render.py and
outputs/assets.py)."""

from pathlib import Path

FOLDER = Path(__file__).parent
TEMPLATES = FOLDER / "templates"
STATIC = FOLDER / "static"
