"""Images on built pages: sizes (no layout shift), lazy loading below the fold, and a
srcset of smaller copies of bundle photos, made once, kept in the build cache, the same
bytes every time; and what happens without Pillow."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest
from PIL import Image

from conftest import REPO, article, run_cli, tree_bytes


def photo(width: int, height: int, shade: int = 0) -> bytes:
    """A JPEG with some detail in it (a gradient), made here rather than shipped."""
    image = Image.new("RGB", (width, height))
    image.putdata(
        [((x * 255 // width + shade) % 256, (y * 255 // height) % 256, 90) for y in range(height) for x in range(width)]
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


SVG_VIEWBOX_ONLY = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"><rect width="300" height="150"/></svg>'
)


def bundle_site(make_site):
    lead = article("Storm hits coast", "2025-06-19 09:00", image="{src: coast.jpg, alt: A flooded sea front, caption: Waves over the wall, credit: Photo by the desk}",
                   body="Waves broke over the wall.\n\n![Sandbags at a door](coast.jpg)\n\n![A small chart](chart.svg)\n")  # fmt: skip
    second = article("Second storm", "2025-06-19 08:00", image="{src: wide.jpg, alt: A grey sky}")
    return make_site({
        "content/world/storm/index.md": lead,
        "content/world/storm/coast.jpg": photo(1600, 900),
        "content/world/storm/chart.svg": SVG_VIEWBOX_ONLY,
        "content/world/second/index.md": second,
        "content/world/second/wide.jpg": photo(1000, 500, 40),
    })  # fmt: skip


def img_tags(html: str) -> list[str]:
    return re.findall(r"<img\b[^>]*>", html)


def attr(tag: str, name: str) -> str | None:
    match = re.search(rf'\s{name}="([^"]*)"', tag)
    return match.group(1) if match else None


def test_sizes_srcset_and_lazy_loading(make_site):
    site = bundle_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    folder = site / "site/2025/06/19/storm-hits-coast/"
    for width in (480, 800, 1200):
        with Image.open(folder / f"coast-{width}w.jpg") as copy:
            assert copy.size == (width, round(900 * width / 1600))
    assert not (folder / "coast-1600w.jpg").exists()  # never wider than the original
    lead, body_photo, chart = img_tags((folder / "index.html").read_text())
    assert (attr(lead, "width"), attr(lead, "height")) == ("1600", "900")
    assert attr(lead, "srcset") == (
        "/2025/06/19/storm-hits-coast/coast-480w.jpg 480w, /2025/06/19/storm-hits-coast/coast-800w.jpg 800w, "
        "/2025/06/19/storm-hits-coast/coast-1200w.jpg 1200w, /2025/06/19/storm-hits-coast/coast.jpg 1600w"
    )
    assert attr(lead, "sizes") and attr(lead, "loading") is None  # the lead is at the top: not lazy
    assert attr(body_photo, "loading") == "lazy" and attr(body_photo, "width") == "1600"
    assert "coast-480w.jpg 480w" in attr(body_photo, "srcset")
    assert (attr(chart, "width"), attr(chart, "height"), attr(chart, "loading")) == ("300", "150", "lazy")
    assert attr(chart, "srcset") is None  # a drawing scales by itself
    front = img_tags((site / "site/index.html").read_text())
    assert [attr(t, "loading") for t in front] == [None, "lazy"]  # the first story's image only is eager
    assert [attr(t, "width") for t in front] == ["1600", "1000"]
    second = (site / "site/2025/06/19/second-storm/index.html").read_text()
    assert (
        "wide-480w.jpg 480w, /2025/06/19/second-storm/wide-800w.jpg 800w, /2025/06/19/second-storm/wide.jpg 1000w"
        in second
    )


def test_copies_are_made_once_and_are_the_same_bytes_every_time(make_site, tmp_path):
    site = bundle_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    cached = sorted((site / ".broadsheet/cache/images").iterdir())  # shared by every output of the site
    assert len(cached) == 5  # three copies of the 1600 px photo, two of the 1000 px one
    stamps = {p.name: p.stat().st_mtime_ns for p in cached}
    assert run_cli("build", "--site", site, "--output", site / "again").code == 0
    assert {p.name: p.stat().st_mtime_ns for p in (site / ".broadsheet/cache/images").iterdir()} == stamps
    assert run_cli("build", "--site", site, "--output", tmp_path / "fresh", "--no-cache").code == 0
    assert tree_bytes(site / "site") == tree_bytes(site / "again") == tree_bytes(tmp_path / "fresh")


def test_a_replaced_photo_rebuilds_as_a_clean_build_would(make_site, tmp_path):
    site = bundle_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    (site / "content/world/storm/coast.jpg").write_bytes(photo(900, 600, 10))
    assert run_cli("build", "--site", site).code == 0
    assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")
    page = (site / "site/2025/06/19/storm-hits-coast/index.html").read_text()
    assert 'width="900" height="600"' in page and "coast-1200w.jpg" not in page
    assert not (site / "site/2025/06/19/storm-hits-coast/coast-1200w.jpg").exists()


def test_without_pillow_no_copies_and_svg_sizes_still(make_site):
    site = bundle_site(make_site)
    blocked = "import sys; sys.modules['PIL'] = None; from broadsheet.cli import main; sys.exit(main(sys.argv[1:]))"
    run = subprocess.run(
        [sys.executable, "-c", blocked, "build", "--site", str(site)], capture_output=True, text=True, cwd=REPO
    )
    assert run.returncode == 0, run.stderr
    folder = site / "site/2025/06/19/storm-hits-coast/"
    assert not list(folder.glob("coast-*w.jpg"))
    lead, body_photo, chart = img_tags((folder / "index.html").read_text())
    assert attr(lead, "width") is None and attr(lead, "srcset") is None
    assert attr(body_photo, "loading") == "lazy"
    assert (attr(chart, "width"), attr(chart, "height")) == ("300", "150")


@pytest.mark.parametrize(
    "svg, size",
    [
        ('<svg xmlns="http://www.w3.org/2000/svg" width="640px" height="360" viewBox="0 0 10 10"/>', ("640", "360")),
        ('<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0,0,40.6,20"/>', ("41", "20")),
        ('<svg xmlns="http://www.w3.org/2000/svg"/>', (None, None)),
        ("not xml at all", (None, None)),
    ],
)
def test_svg_sizes(make_site, svg, size):
    site = make_site({
        "content/a/index.md": article("Chart", "2025-06-19", body="![A chart](c.svg)"),
        "content/a/c.svg": svg,
    })  # fmt: skip
    assert run_cli("build", "--site", site).code == 0
    (tag,) = img_tags((site / "site/2025/06/19/chart/index.html").read_text())
    assert (attr(tag, "width"), attr(tag, "height")) == size


def test_an_image_without_alt_text_is_a_warning(make_site):
    site = make_site(
        {
            "content/a.md": article(
                "A", "2025-06-19", body='![](x.png)\n\n![A described one](y.png)\n\n<img src="z.png" alt="">'
            )
        }
    )
    result = run_cli("build", "--site", site)
    assert result.code == 0
    assert "a.md:5: warning: image 'x.png' has no alt text" in result.err  # the line of the image in the file
    assert "a.md:9: warning: image 'z.png' has no alt text" in result.err
    assert "'z.png' has no alt text" in result.err and "y.png" not in result.err
