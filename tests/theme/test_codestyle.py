"""css/code.css, the colours of highlighted code: what broadsheet/theme/codestyle.py makes
from the Pygments styles, readable (4.5:1) on the theme's code background, light and dark."""

from __future__ import annotations

import re

import pygments
import pytest

from broadsheet.theme import codestyle


def test_the_committed_stylesheet_is_what_the_generator_makes():
    made_with = re.search(r"Pygments (\S+) styles", codestyle.OUTPUT.read_text(encoding="utf-8"))
    if made_with is None or made_with.group(1) != pygments.__version__:  # another release may colour otherwise
        pytest.skip(
            f"code.css was made with Pygments {made_with and made_with.group(1)}, {pygments.__version__} is installed"
        )
    assert codestyle.OUTPUT.read_text(encoding="utf-8") == codestyle.stylesheet(), (
        "run `python -m broadsheet.theme.codestyle` and commit static/css/code.css"
    )


def test_the_backgrounds_are_the_theme_code_backgrounds():
    css = (codestyle.OUTPUT.parent / "broadsheet.css").read_text(encoding="utf-8")
    assert ".article pre {" in css and "background: var(--tag-bg)" in css
    light, dark = re.findall(r"--tag-bg: (#[0-9a-f]{6});", css)[:2]
    assert (light, dark) == (codestyle.LIGHT_BACKGROUND, codestyle.DARK_BACKGROUND)


def test_every_token_colour_reads_at_4_5_to_1_in_light_and_dark():
    light, dark = codestyle.OUTPUT.read_text(encoding="utf-8").split("@media (prefers-color-scheme: dark)")
    for part, background in ((light, codestyle.LIGHT_BACKGROUND), (dark, codestyle.DARK_BACKGROUND)):
        colours = re.findall(r"color: (#[0-9a-f]{6})", part)
        assert len(colours) > 20
        for colour in colours:
            ratio = codestyle.contrast(codestyle._rgb(colour), codestyle._rgb(background))
            assert ratio >= 4.5, (colour, background, ratio)
