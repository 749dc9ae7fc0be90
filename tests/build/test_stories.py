"""Stories: coverage of one event grouped (build/stories.py), on the hard cases of the
labelled set in bench/stories/ and on hand-written edge cases."""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
import yaml

from broadsheet.build import stories as method
from broadsheet.build.stories import Story, StoryEntry, StoryIndex, StorySettings, features, group

from conftest import REPO


def test_an_edit_of_an_articles_text_changes_no_story_beyond_what_it_reaches():
    """serve's body-edit short cut compares only the stories among the articles an edit
    reaches (StoryIndex.reach, before and after the edit): every other story must come out
    as it was, and those among them as a fresh grouping's."""
    rng = random.Random(11)
    entries = {e.id: e for e in ENTRIES}
    index = StoryIndex(entries.values())
    before, moved = index.stories(), 0
    for step in range(80):
        in_story = [i for s in before for i in s.ids]
        entry = entries[rng.choice(in_story if step % 2 else sorted(entries))]
        other = rng.choice(ENTRIES)
        changed = replace(entry, summary=other.summary, body=other.body)  # the text alone: same id, time, key
        reached = index.reach(entry)
        index.replace(changed)
        reached |= index.reach(changed)
        entries[changed.id] = changed
        after = index.stories()
        assert after == group(entries.values()), step
        assert [s for s in before if s.ids[0] not in reached] == [s for s in after if s.ids[0] not in reached], step
        assert index.stories_among(reached) == tuple(s for s in after if s.ids[0] in reached), step
        moved += before != after
        before = after
    assert moved >= 20  # the edits did move stories, so the equalities were tested where they can fail


def labelled(pattern: str = "labelled-*.yaml") -> list[tuple[StoryEntry, str]]:
    out = []
    for path in sorted((REPO / "bench" / "stories").glob(pattern)):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]:
            entry = StoryEntry(
                id=raw["id"],
                title=raw["title"],
                summary=raw["summary"],
                body=raw["body"],
                date=datetime.strptime(raw["date"], "%Y-%m-%d %H:%M"),
                outlet=raw["outlet"],
                language=raw["lang"],
            )
            out.append((entry, raw["story"]))
    return out


LABELLED = labelled()
ENTRIES = [entry for entry, _ in LABELLED]


def story_of(stories: tuple[Story, ...], entry_id: str) -> tuple[str, ...]:
    return next((s.ids for s in stories if entry_id in s.ids), (entry_id,))


def labelled_ids(label: str) -> tuple[str, ...]:
    return tuple(entry.id for entry, story in LABELLED if story == label)


@pytest.mark.parametrize(
    ("label", "ids"),
    [
        # Two central banks on one day, the same terms and the Fed's chair named in both.
        ("fed-cut", ("fed-1", "fed-2", "fed-5", "fed-3", "fed-4")),
        ("ecb-hold", ("ecb-1", "ecb-2", "ecb-3", "ecb-5", "ecb-4")),
        # Across midnight, and a second quake the next morning with the same tag and words.
        ("chile-quake", ("chile-1", "chile-2", "chile-5", "chile-3", "chile-4")),
        ("hokkaido-quake", ("japan-1", "japan-2", "japan-3")),
        # Russian and English coverage of one event.
        ("siberia-gas", ("gas-1", "gas-4", "gas-2", "gas-5", "gas-3", "gas-6")),
        # A strike and, two days later, the deal that ended it: two events.
        ("rotterdam-strike", ("dock-1", "dock-2", "dock-3", "dock-4")),
        ("rotterdam-deal", ("deal-1", "deal-2", "deal-3", "deal-4")),
        # A fire and, six days later, the investigation of it.
        ("salzgitter-fire", ("fire-1", "fire-2", "fire-3")),
        ("salzgitter-probe", ("probe-1", "probe-2", "probe-3")),
        # Same tag, same night, two matches; headlines from wire to tabloid capitals.
        ("arsenal-inter", ("ars-1", "ars-2", "ars-3")),
        ("barca-bayern", ("bar-1", "bar-3", "bar-2")),
    ],
)
def test_the_hard_cases_come_out_as_labelled(label, ids):
    stories = group(ENTRIES)
    assert sorted(labelled_ids(label)) == sorted(ids)
    found = story_of(stories, ids[0])
    # Nothing more (the near miss stays out), in time order, and at most one article of it left
    # alone: a headline that shares little with the rest ("Stocks jump after Holloway delivers
    # expected cut") can miss, a known cost of the precision (bench/README.md, "Stories").
    assert set(found) <= set(ids)
    assert list(found) == [i for i in ids if i in found]
    assert len(found) >= len(ids) - 1


def test_grouping_does_not_depend_on_the_order_of_the_articles():
    expected = group(ENTRIES)
    for seed in range(5):
        shuffled = ENTRIES[:]
        random.Random(seed).shuffle(shuffled)
        assert group(shuffled) == expected


def test_stories_are_in_time_order_and_so_are_their_articles():
    stories = group(ENTRIES)
    when = {e.id: e.date for e in ENTRIES}
    firsts = [(when[s.ids[0]], s.ids[0]) for s in stories]
    assert firsts == sorted(firsts)
    for story in stories:
        assert list(story.ids) == sorted(story.ids, key=lambda i: (when[i], i))


def article(entry_id: str, title: str, hours: float = 0, **fields) -> StoryEntry:
    base = datetime(2026, 3, 2, 9, 0)
    defaults = {"summary": "", "body": "", "outlet": "Desk"}
    return StoryEntry(id=entry_id, title=title, date=base + timedelta(hours=hours), **{**defaults, **fields})


def test_a_story_key_joins_articles_by_hand_and_keeps_them_out_of_automatic_grouping():
    fed = next(e for e in ENTRIES if e.id == "fed-1")
    keyed = [
        article("a", "Harbour reopens after storm", story="harbour"),
        article("b", "Ferry timetable changes next month", hours=300, story="harbour"),
        replace(fed, id="fed-keyed", story="other"),  # alone under its key, not joined to the Fed story
    ]
    stories = group(ENTRIES + keyed)
    assert Story(("a", "b"), key="harbour") in stories
    assert story_of(stories, "fed-keyed") == ("fed-keyed",)
    assert story_of(stories, "fed-1") == story_of(group(ENTRIES), "fed-1")  # as without the keyed copy


def test_story_false_keeps_an_article_alone_even_beside_its_copy():
    fed = next(e for e in ENTRIES if e.id == "fed-1")
    alone = replace(fed, id="fed-alone", story=False)
    stories = group([fed, alone, replace(fed, id="fed-copy")])
    assert stories == (Story(("fed-1", "fed-copy")),)


def test_automatic_grouping_can_be_turned_off_leaving_the_editors_keys():
    keyed = [article("x", "One", story="k"), article("y", "Two", hours=1, story="k")]
    assert group(ENTRIES + keyed, StorySettings(auto=False)) == (Story(("x", "y"), key="k"),)


def test_the_window_keeps_apart_copies_published_far_apart():
    fed = next(e for e in ENTRIES if e.id == "fed-1")
    later = replace(fed, id="fed-later", date=fed.date + timedelta(hours=73))
    assert group([fed, later]) == ()
    assert group([fed, later], StorySettings(window_hours=74)) == (Story(("fed-1", "fed-later")),)


def test_nothing_one_article_and_an_empty_body():
    assert group([]) == ()
    assert group([article("only", "A lone article")]) == ()
    empty = [article("e1", "", summary="", body=""), article("e2", "", hours=1, summary="", body="")]
    assert group(empty) == ()
    fed = next(e for e in ENTRIES if e.id == "fed-1")
    assert "fed-bodyless" in story_of(group(ENTRIES + [replace(fed, id="fed-bodyless", body="")]), "fed-1")


def test_dates_at_the_ends_of_the_calendar():
    fed = next(e for e in ENTRIES if e.id == "fed-1")
    late = datetime(9999, 12, 31, 22, 0)
    early = datetime(1900, 1, 1, 0, 30, tzinfo=UTC)
    entries = [
        replace(fed, id="late-1", date=late),
        replace(fed, id="late-2", date=late + timedelta(hours=1, minutes=59)),
        replace(fed, id="early-1", date=early),
        replace(fed, id="early-2", date=early + timedelta(hours=1)),
    ]
    assert group(entries) == (Story(("early-1", "early-2")), Story(("late-1", "late-2")))


def test_naive_and_aware_dates_together():
    fed = next(e for e in ENTRIES if e.id == "fed-1")
    # 75 hours later on a clock five hours ahead of UTC is 70 hours later: within the window.
    east = timezone(timedelta(hours=5))
    aware = replace(fed, id="aware", date=(fed.date + timedelta(hours=75)).replace(tzinfo=east))
    assert group([fed, aware]) == (Story(("fed-1", "aware")),)


def test_ten_thousand_identical_titles_stay_within_the_bound():
    """A name shared by more than DISCOVERY_LIMIT (40) articles within one window finds no
    candidates, so the work is at most 40 comparisons per name per article, never n squared:
    here every name is in all 10,000 articles within one window, so none is compared."""
    start = datetime(2026, 1, 1)
    entries = [
        StoryEntry(f"a{i:05d}", "Fed cuts rates to 4.25% as Holloway acts", "", "", start + timedelta(seconds=i))
        for i in range(10_000)
    ]
    index = StoryIndex(entries)
    assert sum(len(links) for links in index.links.values()) == 0
    assert index.stories() == ()
    # Spread one an hour, each name is shared by at most 40 articles of a window: linked, in bounded work.
    spread = [replace(e, date=start + timedelta(hours=4 * i)) for i, e in enumerate(entries[:2000])]
    index = StoryIndex(spread)
    assert max(len(links) for links in index.links.values()) <= 2 * 40
    assert len(index.stories()) >= 1


def test_an_index_edited_article_by_article_equals_a_fresh_grouping():
    rng = random.Random(7)
    entries = {e.id: e for e in ENTRIES}
    index = StoryIndex(entries.values())
    seen = [index.stories()]
    for step in range(80):
        # Every other edit hits an article of a story, so edits move groups, not only singletons.
        in_story = [i for s in seen[-1] for i in s.ids]
        entry = entries[rng.choice(in_story if step % 2 else sorted(entries))]
        kind = step % 5
        if kind == 4:
            index.remove(entry.id)
            del entries[entry.id]
        else:
            if kind == 0:
                changed = replace(entry, date=entry.date + timedelta(hours=rng.choice([-80, -30, 5, 50, 90])))
            elif kind == 1:
                changed = replace(entry, summary=rng.choice(ENTRIES).summary)
            elif kind == 2:
                changed = replace(entry, id=f"new-{step}", title=rng.choice(ENTRIES).title)
            else:
                changed = replace(entry, title=rng.choice(ENTRIES).title)
            # Every other edit hands its features in, as the build does from its cache.
            index.replace(changed, features(changed) if step % 2 else None)
            entries[changed.id] = changed
        seen.append(index.stories())
        assert seen[-1] == group(entries.values()), step
    # The edits did move stories, so the equality was tested where it can fail.
    assert sum(after != before for before, after in itertools.pairwise(seen)) >= 40


def test_features_can_be_made_once_and_handed_back():
    cache = {e.id: features(e) for e in ENTRIES}
    assert group(ENTRIES, cache=cache) == group(ENTRIES)


def test_two_articles_with_one_id_are_refused():
    with pytest.raises(ValueError, match="a1: two articles with one id"):
        group([article("a1", "One"), article("a1", "Two")])


def test_g7_is_one_name_and_offices_days_and_months_are_no_names():
    found = features(
        article(
            "n",
            "Leaders of the G7 meet",
            summary="The President said on Monday in June that the G20 and Holloway agree.",
        )
    )
    assert {"g7", "g20", "hollo"} <= found.names
    assert not {"presi", "monda", "june"} & found.names
    assert {"presi", "monda", "june"} <= set(found.weights)  # still words of the text, only not names


# The demo's three wrong joins, as our own short texts: one summit's statement and a trade deal
# signed beside it; two central banks holding a day apart; an alliance's preview and a leader's
# remark on the same spending goal. The demo's own articles now stay apart (bench/stories.py
# --site .); these shorter texts, closer in words, still join in two cases: known, strict, so
# the day the method keeps them apart this test says so and must become a plain test.
UNRELATED_PAIRS = [
    (
        article(
            "g7-statement",
            "G7 backs a ceasefire and urges restraint as Harlan leaves early",
            summary="Leaders at the Lisbon G7 summit issued a statement on the border fighting; Harlan left a day early.",
            body="The statement asks both sides to accept monitors. Harlan flew home before the final session.",
        ),
        article(
            "g7-trade",
            "Harlan signs order putting parts of the trade deal into effect",
            hours=14,
            summary="The president signed the order on the sidelines of the G7 summit in Lisbon, cutting car tariffs.",
            body="Carmakers welcomed the lower tariffs. Steel quotas were left for later talks.",
        ),
    ),
    (
        article(
            "fed-hold",
            "Fed holds rates at 4.25%-4.50% and still sees two cuts",
            summary="The Federal Reserve left its benchmark rate unchanged and raised its inflation forecast.",
            body="Chair Holloway said tariffs would lift prices. Officials still expect two cuts this year.",
        ),
        article(
            "boe-hold",
            "Bank of England holds at 4.25% in a 6-3 vote",
            hours=17,
            summary="The Monetary Policy Committee kept Bank Rate at 4.25% as inflation rose to 3.4%.",
            body="Governor Lyle said cuts would be gradual. Three members wanted a cut.",
        ),
    ),
    (
        article(
            "nato-preview",
            "Italy resists NATO's 4% spending goal before the Oslo summit",
            summary="Prime Minister Ferri told Secretary General Visser that Rome cannot commit to 4% of GDP.",
            body="Allies meet in Oslo next week. Italy asks for a longer timetable.",
        ),
        article(
            "kremlin-remark",
            "Volkov says NATO's 4% spending plan is no threat to Russia",
            hours=4,
            summary="At a forum in Kazan, President Volkov dismissed NATO's goal of 4% of GDP as wasted money.",
            body="Volkov said Russia would not join an arms race. He spoke to foreign editors late at night.",
        ),
    ),
]


KNOWN = pytest.mark.xfail(strict=True, reason="known: the method joins these (bench/README.md, Stories)")


@pytest.mark.parametrize(
    "pair",
    [pytest.param(UNRELATED_PAIRS[0], marks=KNOWN), pytest.param(UNRELATED_PAIRS[1], marks=KNOWN), UNRELATED_PAIRS[2]],
    ids=lambda pair: f"{pair[0].id}+{pair[1].id}",
)
def test_the_demos_unrelated_pairs_stay_apart(pair):
    assert group(pair) == ()


def test_coverage_of_one_event_in_other_words_joins():
    wire = article(
        "wire",
        "Fed holds rates at 4.25%-4.50% and still sees two cuts",
        summary="The Federal Reserve left its benchmark rate unchanged and raised its inflation forecast.",
        body="Chair Holloway said tariffs would lift prices. Officials still expect two cuts this year.",
    )
    analysis = article(
        "analysis",
        "Holloway's Fed bets the tariff jolt to inflation will fade",
        hours=12,
        summary="The Federal Reserve held at 4.25%-4.50%, a wager that prices will calm by winter.",
        body="Growth forecasts were cut. Two officials now see no cuts this year.",
    )
    assert group([wire, analysis]) == (Story(("wire", "analysis")),)


def test_the_demo_sites_unrelated_articles_stay_apart():
    """The repository's own demo articles, parsed as a build parses them: the Fed's hold and the
    Bank of England's, the G7 statement and the trade deal signed there, Spain's objection to
    NATO's goal and Putin's remark on it, all within days, are six events."""
    from broadsheet.build.pipeline import load_model
    from broadsheet.build.request import BuildRequest

    _, site_model, _ = load_model(BuildRequest(REPO))
    assert site_model is not None
    entries = [
        StoryEntry(
            id=e.article.path.rsplit("/", 1)[-1],
            title=e.article.title,
            summary=e.article.summary_text,
            body=re.sub(r"<[^>]+>", " ", e.article.body_html),  # the body's text, as the build hands it
            date=e.article.date,
            language=e.article.lang,
        )
        for e in site_model.entries
    ]
    found = group(entries)
    for a, b in [
        ("fed-holds-rates-june-2025.md", "bank-of-england-holds-rates.md"),
        ("g7-statement-israel-iran.md", "uk-us-trade-deal-g7.md"),
        ("nato-summit-preview.md", "putin-nato-spending-no-threat.md"),
        ("putin-nato-spending-no-threat.md", "spief-putin-plenary.md"),  # one man, one forum, two events
    ]:
        assert b not in story_of(found, a)


def test_the_same_cast_in_another_scene_is_another_event():
    """Names in common and no other word: the same leader at the same forum, on two subjects."""
    remark = article(
        "remark",
        "Volkov says NATO spending is no threat to Russia",
        summary="Pavel Volkov told editors in Kazan the alliance wastes money on arms.",
    )
    speech = article(
        "speech",
        "Volkov tells Kazan forum Russia must avoid recession",
        hours=18,
        summary="Pavel Volkov ordered cheaper loans for factories in his address.",
    )
    assert features(remark).names & features(speech).names >= {"volko", "kazan", "russia"}
    assert group([remark, speech]) == ()
    report = replace(speech, id="report", title="Volkov says NATO's spending is no threat, editors told in Kazan")
    assert group([remark, report]) == (Story(("remark", "report")),)


def test_across_languages_a_link_needs_two_names_or_figures():
    english = article(
        "en",
        "Swiss central bank holds its rate at 0.25%",
        language="en",
        summary="Chairman Lukas Brenner said the franc was being watched.",
    )
    one = article(
        "ru-one",
        "Швейцарский нацбанк сохранил ставку",
        hours=2,
        language="ru",
        summary="Председатель Бреннер заявил, что банк следит за франком.",
    )
    two = replace(one, id="ru-two", title="Швейцарский нацбанк сохранил ставку 0,25%")
    assert group([english, one]) == ()  # one name in common: a place or a person is not enough
    assert group([english, two]) == (Story(("en", "ru-two")),)


def test_a_figure_of_two_digits_in_common_keeps_a_headline_with_its_story():
    wire = article(
        "wire",
        "ECB keeps deposit rate at 2.50%",
        summary="The European Central Bank left borrowing costs unchanged; President Vries said risks were balanced.",
        body="The governing council held for a third meeting.",
    )
    market = article(
        "market",
        "Euro edges up as Frankfurt stands pat at 2.50%",
        hours=1,
        summary="The single currency firmed after the ECB and Vries sounded patient.",
    )
    assert group([wire, market]) == (Story(("wire", "market")),)
    # "5%" is too common to mark an event: with it instead, the few shared words are not enough.
    wire5, market5 = (replace(e, title=e.title.replace("2.50%", "5%")) for e in (wire, market))
    assert group([wire5, market5]) == ()


def labels_joined(stories: tuple[Story, ...], first: str, second: str) -> bool:
    label = {entry.id: story for entry, story in LABELLED}
    return any({label[i] for i in s.ids} >= {first, second} for s in stories)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # One summit or meeting, two events: the communique and a deal signed beside it.
        ("lisbon-communique", "lisbon-minerals-deal"),
        ("lisbon-communique", "lisbon-harlan-exit"),
        # Two central banks holding within a day or two, same words and rates.
        ("fed-feb-hold", "boe-feb-hold"),
        ("snb-hold", "boe-jan-hold"),
        # An alliance's preview, a Kremlin remark on it, its declaration days later.
        ("oslo-italy-balks", "volkov-nato-remark"),
        ("oslo-italy-balks", "oslo-declaration"),
        ("warsaw-turkey-objects", "kremlin-warsaw-warning"),
        ("warsaw-turkey-objects", "warsaw-opens"),
        # Follow-ups days later that are their own events.
        ("czech-election", "czech-coalition-talks"),
        ("baltic-cable", "baltic-ship-boarded"),
        ("izmir-quake", "izmir-aftershock"),
        ("rail-merger", "rail-merger-probe"),
        ("german-budget-2028", "krause-tariff-remark"),
        # Joined until the fifth round (countries one term, names loosely matched across
        # languages, which needs 0.7 of the threshold there).
        ("volkov-nato-remark", "volkov-kazan-speech"),
        ("boe-jan-hold", "norges-hold"),
        # Joined until the sixth round (terms many events use weigh less, and what the
        # summit and the swap signed beside it share is mostly such terms).
        ("cpt-debt-communique", "cpt-brazil-swap"),
        # Known near misses still joined (bench/README.md, "Stories"): strict, so a fix shows.
        pytest.param("nordtel-phone", "rival-phone", marks=KNOWN),
        pytest.param("italy-rail-strike", "italy-air-strike", marks=KNOWN),
    ],
)
def test_near_misses_of_the_enlarged_set_stay_apart(first, second):
    assert labelled_ids(first) and labelled_ids(second)
    assert not labels_joined(group(ENTRIES), first, second)


def test_a_headline_opening_with_a_place_pairs_with_the_report_naming_it_mid_sentence():
    """A word opening a sentence reads as no name ("Traders said"), but headlines very often
    open with the place or the person: such a word is a name in common with an article of the
    same language that names it mid-sentence (fourth round, bench/README.md)."""
    headline = article(
        "headline",
        "Lisbon metro shut as drivers walk out over pay",
        summary="Commuters queued for buses from dawn as all four lines stayed closed.",
    )
    report = article(
        "report",
        "Metro drivers strike over pay, closing all four lines",
        hours=2,
        summary="Trains stopped in Lisbon at six as the union began a 24-hour walkout.",
    )
    assert "lisbo" in features(headline).openers and "lisbo" not in features(headline).names
    assert "lisbo" in features(report).names
    assert group([headline, report]) == (Story(("headline", "report")),)
    # Without the place named mid-sentence there, the two have no name in common: no link.
    unnamed = replace(report, summary="Trains stopped at six as the union began a 24-hour walkout.")
    assert group([headline, unnamed]) == ()


def test_a_common_word_opening_sentences_in_both_is_still_no_name():
    """Two countries' jobs reports whose headlines both open with "Traders": a word that only
    ever opens sentences names no one, so the pair has no name in common and no link."""
    canada = article(
        "canada-jobs",
        "Traders pare bets on a rate cut after strong jobs data",
        summary="Ottawa's statistics agency said employers added 60,000 jobs in May, far more than expected.",
        body="Bond yields rose as the figures came out.",
    )
    japan = article(
        "japan-jobs",
        "Traders add bets on a rate cut after weak jobs data",
        hours=5,
        summary="Tokyo's labour ministry said the jobless rate rose in May, more than expected.",
        body="Bond yields fell as the figures came out.",
    )
    assert "trade" not in features(canada).names and "trade" in features(canada).openers
    assert group([canada, japan]) == ()
    # Written in lower case elsewhere in the article, it is not even a possible name.
    lowered = replace(canada, body="Bond yields rose as traders read the figures.")
    assert "trade" not in features(lowered).openers


def test_a_tabloid_headline_opening_with_a_name_joins_its_story():
    """ "PAIN AT THE PUMP: Marsh hikes fuel duty": the chancellor's name opens a sentence, the
    only name the headline shares with the budget's coverage (joined since the fourth round)."""
    stories = group(ENTRIES)
    assert set(story_of(stories, "ukb-2")) == set(labelled_ids("uk-budget"))


def test_the_country_table_is_read_from_the_installed_package():
    """countries.txt ships in the package (pyproject's package data) and is read from it."""
    from importlib.resources import files

    table = files("broadsheet.build").joinpath("countries.txt")
    assert table.is_file()
    lines = [line for line in table.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    assert len(lines) > 150 and all(line.count("|") == 2 for line in lines)
    memo: dict[str, tuple[str, int]] = {}
    for word in ("Dutch", "Netherlands", "Holland", "нидерландский", "голландских", "Нидерландах"):
        assert method._read(word, memo)[0] == "netherlands", word
    for word in ("Norwegian", "Norwegians", "Norway's", "норвежский", "Норвегии"):
        assert method._read(word, memo)[0] == "norway", word
    assert method._read("немецкого", memo)[0] == method._read("Germans", memo)[0] == "germany"
    # Only when capitalised in English ("turkey" is a bird), and only whole stems in Russian.
    assert method._read("turkey", memo)[0] != "turkey" and method._read("Turkey", memo)[0] == "turkey"
    assert method._read("грузить", memo)[0] != "georgia"


def test_a_demonym_and_its_country_are_one_name():
    """ "Dutch rail strike" and "strike in the Netherlands": one place, so a name in common."""
    headline = article(
        "headline",
        "Dutch rail strike halts trains between the big cities",
        summary="No intercity trains ran as drivers stopped work over weekend rosters.",
    )
    report = article(
        "report",
        "Train drivers strike over rosters, halting intercity trains",
        hours=3,
        summary="The walkout in the Netherlands left commuters stranded as the union and operator stayed apart.",
    )
    assert "netherlands" in features(headline).openers and "netherlands" in features(report).names
    assert group([headline, report]) == (Story(("headline", "report")),)
    # Another country's strike: no name in common, no link.
    belgian = replace(report, summary=report.summary.replace("the Netherlands", "Belgium"))
    assert group([headline, belgian]) == ()


def test_across_languages_a_country_and_a_place_spelt_apart_by_transliteration_join():
    """ "Porto" / "Порту" and "Ermesinde" / "Эрмезинде" differ once transliterated ("porto" and
    "portu"); loosely spelt they are the same two names, enough for a link across languages."""
    english = article(
        "en",
        "Lights return to Porto after a night without power",
        language="en",
        summary="Supply came back to most homes by dawn after a transformer fire at the Ermesinde substation.",
    )
    russian = article(
        "ru",
        "Порту несколько часов оставался без света",
        hours=4,
        language="ru",
        summary="Дома обесточил пожар на подстанции Эрмезинде, к утру свет вернули.",
    )
    assert group([english, russian]) == (Story(("en", "ru")),)
    # One place loosely in common is not enough across languages (two names are needed).
    one = replace(russian, summary="Дома обесточил пожар на подстанции, к утру свет вернули.")
    assert group([english, one]) == ()


def test_across_languages_a_country_counts_as_a_name_but_not_in_the_cosine():
    """Every Russian report names Russia: across languages a country is a name in common (one of
    the two a link needs) but adds nothing to the cosine, where it linked the demo's Russian
    forum report to Putin's remark on NATO."""
    english = article(
        "en",
        "Sokolova keeps Russia's key rate at 16% as inflation cools",
        language="en",
        summary="The central bank governor said rates would stay high for longer.",
    )
    russian = article(
        "ru",
        "Соколова сохранила ключевую ставку на уровне 16%",
        hours=2,
        language="ru",
        summary="Глава ЦБ заявила, что ставки останутся высокими.",
    )
    assert group([english, russian]) == ()  # the figure alone in common: one name, not two
    naming = replace(russian, summary="Глава ЦБ заявила, что ставки в России останутся высокими.")
    fa, fb = features(english), features(naming)
    assert "russia" in fa.names and "russia" in fb.names
    assert group([english, naming]) == (Story(("en", "ru")),)  # the country makes the second name
    # ... and its score is the cosine of what else the two share: "16%" (the country left out).
    kept = 1 - method.DECAY * 2 / StorySettings().window_hours
    cosine = sum(fa.weights[t] * fb.weights[t] for t in fa.weights.keys() & fb.weights.keys() - {"russia"})
    assert StoryIndex([english, naming])._score("en", "ru") == pytest.approx(cosine / (fa.norm * fb.norm) * kept)


def test_a_term_many_events_use_weighs_less_than_one_few_do():
    # "officials" and "government" are in many labelled events, "tram" in one or two.
    weights = features(article("w", "Officials government tram")).weights
    assert weights["offic"] < weights["tram"] and weights["gover"] < weights["tram"]
    assert method._commonness()["offic"] < method._commonness().get("tram", 1.0)


# One tram crash, reported twice in different words, and the same city's budget on the same
# morning: the budget report shares the city and common words ("officials", "transport",
# "street", "Monday") with the first. Weighed alike (the fifth round), those words joined it
# to the crash; weighed by how many events use them, the crash's own words ("tram", "brakes",
# "rails") carry the link and the budget stays alone (bench/README.md, the sixth round).
TRAM_CRASH = [
    article(
        "tram-1",
        "Vintage tram derails on a steep street in Coimbra, nine hurt",
        summary="A vintage tram left its rails on a steep street in Coimbra on Monday, injuring nine passengers.",
        body="Firefighters said the tram jumped its rails on the hill near the cathedral. The city suspended "
        "the line while inspectors examine the brakes.",
    ),
    article(
        "tram-2",
        "Coimbra tram's brakes under scrutiny after hillside crash",
        hours=20,
        summary="Inspectors are examining the braking system of the vintage tram that derailed in Coimbra.",
        body="The transport authority said the brakes of the century-old tram had been serviced in March. "
        "Union officials said the line's vintage cars needed new parts.",
    ),
    article(
        "coimbra-budget",
        "Coimbra council approves city budget for next year",
        hours=6,
        summary="The council in Coimbra approved the city budget on Monday after a long debate.",
        body="Officials said the budget raises spending on street repairs and the transport authority. "
        "The opposition voted against the plan.",
    ),
]


def test_a_crash_reported_in_other_words_joins_and_the_citys_budget_stays_apart():
    assert [s.ids for s in group(TRAM_CRASH)] == [("tram-1", "tram-2")]


def test_the_common_terms_table_is_counted_from_the_development_data_as_features_read_it():
    """common_terms.txt ships in the package and is what `bench/stories.py --commonness` counts:
    each term of the labelled set and the blind batches read (a batch's stories its own) with the
    number of events using it. A change to how `features` reads words must write it again."""
    from importlib.resources import files

    used: dict[str, set[str]] = {}
    events = set()
    for pattern in ("labelled-*.yaml", "blind-1.yaml", "blind-2.yaml", "blind-3.yaml", "blind-4.yaml", "blind-5.yaml"):
        for entry, label in labelled(pattern):
            events.add((pattern, label))
            for term in features(entry).weights:
                if not term[0].isdigit():
                    used.setdefault(term, set()).add(f"{pattern}:{label}")
    text = files("broadsheet.build").joinpath("common_terms.txt").read_text(encoding="utf-8")
    rows = [line.split() for line in text.splitlines() if line and not line.startswith("#")]
    assert rows[0] == ["events", str(len(events))]
    assert {term: int(n) for term, n in rows[1:]} == {term: len(labels) for term, labels in used.items()}
    assert method._commonness()["offic"] < method._commonness()["tram"] < 1.0


# A chess final reported twice within hours: the second report paraphrases the first and shares
# its names (Marrow and Halden, which no event of the common-terms table uses, and Valk, which
# three do) and two plain words, too few for the floor one language needs. Two rare names in
# common within RARE_HOURS lower the floor (bench/README.md, the seventh round); the same two
# reports 14 hours apart are what the same cast's next scene looks like, and stay apart.
CHESS_FINAL = [
    article(
        "chess-1",
        "Teodora Valk wins the Halden chess final in a tiebreak",
        summary="Valk beat the defending champion Ilse Marrow in a rapid tiebreak after four drawn classical games.",
        body="The nineteen-year-old sealed the title with a knight sacrifice. Organisers said a record crowd "
        "watched online.",
    ),
    article(
        "chess-2",
        "Teenager takes the crown as Marrow blunders late",
        hours=3,
        summary="A rook slip in the rapid tiebreak handed Valk the Halden trophy.",
        body="Marrow resigned on move 41 and left without speaking to reporters. Valk now qualifies for the "
        "candidates event.",
    ),
]


def test_two_rare_names_within_hours_lower_the_floor_and_later_nothing_backs_them():
    first, second = CHESS_FINAL
    assert [s.ids for s in group(CHESS_FINAL)] == [("chess-1", "chess-2")]
    # Past RARE_HOURS the names alone are the same cast's next scene: apart...
    later = replace(second, date=first.date + timedelta(hours=method.RARE_HOURS + 2))
    unbacked = replace(later, summary="A rook slip late in the night handed Valk the Halden trophy.")
    assert group([first, unbacked]) == ()
    # ...and a plain word few events use ("tiebreak", "rapid") backing them does not join them
    # either: the eighth round's backed names are off (on blind-6, unseen, they joined a city's
    # two stories of one day; bench/README.md).
    assert method.BACKED_HOURS == 0
    assert group([first, later]) == ()
    common = method._commonness()
    assert [name for name in ("valk", "marro", "halde") if common.get(name, 1.0) >= method.RARE_NAME] == [
        "marro",
        "halde",
    ]


@pytest.mark.xfail(
    strict=True,
    reason="the eighth round's shouted headlines are off with its backed names (blind-6, bench/README.md)",
)
def test_a_shouted_headline_names_what_the_other_report_names_mid_sentence():
    """A tabloid headline in capitals names no one by the acronym rule ("FUREY'S FINISHED"), but
    its words may be names: read as opening words, they meet a report that names them."""
    wire = article(
        "wire",
        "Ashby Rovers sack manager Declan Furey after seventh straight defeat",
        summary="The club dismissed Furey hours after a home loss left it bottom of the table.",
    )
    tabloid = article(
        "tabloid",
        "FUREY'S FINISHED",
        hours=3,
        summary="Rovers boss axed after a seventh straight defeat leaves the club rock bottom.",
    )
    assert "furei" in features(tabloid).openers and "furei" not in features(tabloid).names
    assert [s.ids for s in group([wire, tabloid])] == [("wire", "tabloid")]
