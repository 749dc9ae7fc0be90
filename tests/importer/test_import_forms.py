"""The forms issue 16 lists for photo lines, bylines and datelines, each read as a reader would.

Expectations are written by hand from how the forms are printed, not taken from the code's output."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from broadsheet.importer.dates import parse_dateline
from broadsheet.importer.people import byline, name_line
from broadsheet.importer.photo import photo_line

PHOTO_LINES = [
    ("Firemen at the depot. Ana Ruiz / EFE", "Firemen at the depot.", "Ana Ruiz / EFE"),
    (
        "Boats in the harbour at dawn. Photograph: Tom Fell/PA Images",
        "Boats in the harbour at dawn.",
        "Tom Fell/PA Images",
    ),
    (
        "A tram on the bridge, June 3, 2025. NORTHWIRE/Ola Berg/File Photo",
        "A tram on the bridge, June 3, 2025.",
        "NORTHWIRE/Ola Berg/File Photo",
    ),
    ("The mayor signs the budget (Civic Photo/Rui Sal)", "The mayor signs the budget", "Civic Photo/Rui Sal"),
    ("Cranes over the quay [Lea Hart/Port Images]", "Cranes over the quay", "Lea Hart/Port Images"),
    ("Image: Sam Kerr/agency", "", "Sam Kerr/agency"),
    ("Фото: Иван Петров / Восток-Пресс", "", "Иван Петров / Восток-Пресс"),
    ("Getty Images", "", "Getty Images"),
    (
        "Der Hafen am Morgen. © picture alliance/dpa | Eva Roth",
        "Der Hafen am Morgen.",
        "picture alliance/dpa | Eva Roth",
    ),
    ("Image caption, Toads breed in the pools", "Toads breed in the pools", ""),
]


@pytest.mark.parametrize(("line", "caption", "credit"), PHOTO_LINES)
def test_photo_lines_split_into_caption_and_credit(line, caption, credit):
    found = photo_line(line)
    assert found is not None and (found.caption, found.credit) == (caption, credit)


@pytest.mark.parametrize(
    "line",
    [
        "The storm moved north along the coast, and forecasters warned of landslides.",
        "News|Economy",
        "Passengers on a crowded platform at a terminus in the north of England",
        "Prices rose 3/4 of a point, the bank said.",
    ],
)
def test_story_and_menu_lines_are_no_photo_lines(line):
    assert photo_line(line) is None


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("By Ana Ruiz and Tom Fell", ("Ana Ruiz", "Tom Fell")),
        ("BY KENJI ARAI AND LIV DUNN", ("Kenji Arai", "Liv Dunn")),
        ("by Jo Hart", ("Jo Hart",)),
        ("Von Lena Roth und Felix Ott", ("Lena Roth", "Felix Ott")),
        ("By Jo Hart, Environment correspondent", ("Jo Hart",)),
        ("By Tuesday, officials had left.", None),
    ],
)
def test_bylines(line, names):
    assert byline(line) == names


def test_a_name_line_alone_is_read_with_its_places_dropped():
    assert name_line("Lucia Ferro in Rome and Owen Marsh") == ("Lucia Ferro", "Owen Marsh")
    assert name_line("Анна Воронова") == ("Анна Воронова",)
    assert name_line("The storm moved north.") is None


@pytest.mark.parametrize(
    ("line", "when"),
    [
        ("June 18, 2025 3:42 PM GMT+2", "2025-06-18 13:42"),
        ("Updated 4:12 PM GMT+9, June 17, 2025", "2025-06-17 07:12"),
        ("Published On 19 Jun 2025", "2025-06-19 00:00"),
        ("16:05, 6 июня 2025", "2025-06-06 16:05"),
        ("Stand: 18.06.2025 15:42 Uhr", "2025-06-18 15:42"),
        ("6 червня 2025, 14:20", "2025-06-06 14:20"),
        ("Tue 8 Jul 2025 14.20 CEST", "2025-07-08 12:20"),
    ],
)
def test_datelines_in_the_theme_languages(line, when):
    found = parse_dateline(line, ZoneInfo("UTC"))
    assert found is not None and found.strftime("%Y-%m-%d %H:%M") == when


def test_a_line_without_a_year_is_no_dateline():
    assert parse_dateline("Updated 2 hours ago", ZoneInfo("UTC")) is None
