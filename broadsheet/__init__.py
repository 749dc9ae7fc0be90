"""Broadsheet: a static news-digest site generator."""

# The one place the version is written: pyproject.toml reads it from here (setuptools'
# dynamic version), so the package's metadata, `broadsheet --version` and the build
# cache's label can never disagree.
__version__ = "0.1.0"
