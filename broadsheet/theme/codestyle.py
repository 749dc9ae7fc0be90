"""The colours of highlighted code (static/css/code.css), made from two Pygments styles.

Python-Markdown's codehilite marks each token of a fenced block with a Pygments class
(`<span class="k">`); this module writes the rules that colour them: a light style, and a
dark one under `prefers-color-scheme: dark`, as the rest of the theme switches. Only
colours, bold and italics are taken: the block's background is the theme's own (`pre` in
broadsheet.css), and each colour is darkened or lightened, by the same steps on every
machine, until it reads at 4.5:1 against that background (WCAG AA, what axe checks).

The file is made once and committed (`python -m broadsheet.theme.codestyle` writes it
again), so a site's pages do not change with the Pygments installed; a test checks the
committed file is what this makes.
"""

from __future__ import annotations

from pathlib import Path

import pygments
from pygments.style import StyleMeta
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES

LIGHT, DARK = "default", "github-dark"
# The `pre` background of broadsheet.css, light and dark (its --tag-bg).
LIGHT_BACKGROUND, DARK_BACKGROUND = "#eeebe4", "#2a2825"
MIN_CONTRAST = 4.5
SCOPE = ".highlight"
OUTPUT = Path(__file__).parent / "static" / "css" / "code.css"


def stylesheet() -> str:
    header = (
        f"/* Highlighted code: made by `python -m broadsheet.theme.codestyle` from the Pygments {pygments.__version__} styles\n"
        f"   {LIGHT!r} (light) and {DARK!r} (dark), each colour adjusted to {MIN_CONTRAST}:1 against the code background. */\n"
    )
    light = _rules(get_style_by_name(LIGHT), LIGHT_BACKGROUND, "")
    dark = _rules(get_style_by_name(DARK), DARK_BACKGROUND, "  ")
    return f"{header}{light}@media (prefers-color-scheme: dark) {{\n{dark}}}\n"


def _rules(style: StyleMeta, background: str, indent: str) -> str:
    """One rule per token type with a colour or a font style, in the order Pygments lists them."""
    lines = []
    for token in sorted(STANDARD_TYPES, key=lambda t: STANDARD_TYPES[t]):
        name = STANDARD_TYPES[token]
        if not name:
            continue
        found = style.style_for_token(token)
        parts = []
        if found["color"]:
            parts.append(f"color: {readable('#' + found['color'], background)}")
        if found["bold"]:
            parts.append("font-weight: bold")
        if found["italic"]:
            parts.append("font-style: italic")
        if parts:
            lines.append(f"{indent}{SCOPE} .{name} {{ {'; '.join(parts)} }}\n")
    return "".join(lines)


def readable(colour: str, background: str) -> str:
    """The colour, moved towards black (on a light background) or white (on a dark one)
    in steps of 5% until it has MIN_CONTRAST against the background."""
    rgb = _rgb(colour)
    target = (0, 0, 0) if _luminance(_rgb(background)) > 0.5 else (255, 255, 255)
    step = 0
    while contrast(rgb, _rgb(background)) < MIN_CONTRAST and step < 20:
        step += 1
        rgb = tuple(round(c + (t - c) * 0.05 * step) for c, t in zip(_rgb(colour), target, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _rgb(colour: str) -> tuple[int, ...]:
    text = colour.lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    return tuple(int(text[i : i + 2], 16) for i in (0, 2, 4))


def _luminance(rgb: tuple[int, ...]) -> float:
    """Relative luminance, as WCAG defines it."""
    linear = [(c / 255) / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


if __name__ == "__main__":
    OUTPUT.write_text(stylesheet(), encoding="utf-8")
    print(f"wrote {OUTPUT}")
