"""The map in ARCHITECTURE.md, checked against the code: every module lives in a folder
of the map, and imports point one way, from commands down to the build's stages."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "broadsheet"
COMMANDS = {"serve", "check", "email", "importer", "drafts", "scaffold", "publish", "theming"}
# What each part may import, besides itself. Lower parts never import higher ones: the
# stages know nothing of the formats made from them, the formats nothing of the rebuild
# short cuts, and none of them anything of a command. Only the recipe (build/pipeline.py)
# sees every part of a build; a command may use anything of a build, but no other command.
ALLOWED = {
    "problems": set(),
    "theme": {"problems"},
    "build": {"problems", "theme"},
    "outputs": {"problems", "theme", "build"},
    "incremental": {"problems", "theme", "build", "outputs"},
    "pipeline": {"problems", "theme", "build", "outputs", "incremental"},
    **{name: {"problems", "theme", "build", "outputs", "incremental", "pipeline"} for name in COMMANDS},
    "cli": {"problems", "theme", "build", "outputs", "incremental", "pipeline", *COMMANDS},
    "main": {"cli"},
    "version": set(),
    "records": set(),
}
# publish/targets.py holds plain settings records (the targets `publish:` names) and imports
# nothing of broadsheet: the settings stage reads them into Settings, as it does its own.
RECORDS = {"broadsheet.publish.targets"}
TOP_LEVEL = {"__init__.py", "__main__.py", "cli.py", "problems.py"}


def part_of(module: str) -> str:
    """broadsheet.build.pipeline -> "pipeline"; broadsheet.outputs.feeds -> "outputs"."""
    names = module.split(".")[1:]
    if module in RECORDS:
        return "records"
    if names == ["build", "pipeline"]:
        return "pipeline"
    if not names:
        return "version"  # the package itself holds only __version__, which anything may read
    return {"__main__": "main"}.get(names[0], names[0])


def module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """The broadsheet modules a file imports, wherever in the file (lazy imports count)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("broadsheet"):
            modules = {
                f"{node.module}.{alias.name}" for alias in node.names if _is_module(f"{node.module}.{alias.name}")
            }
            found |= modules or {node.module}  # "from broadsheet import theme" imports theme, not the package
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("broadsheet")}
    return found


def _is_module(name: str) -> bool:
    path = REPO.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_the_top_level_holds_only_the_command_line_and_problems():
    loose = {p.name for p in PACKAGE.glob("*.py")}
    assert loose == TOP_LEVEL
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == {"build", "incremental", "outputs", "serve", "theme"} | COMMANDS


def test_imports_point_one_way():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = part_of(module_name(path))
        for target in imports(path):
            there = part_of(target)
            if there not in (here, "version", "records") and there not in ALLOWED[here]:
                wrong.append(f"{path.relative_to(REPO)} imports {target} ({here} may not use {there})")
    assert wrong == []


def test_the_rule_sees_a_wrong_import(tmp_path):
    """The check itself: a stage importing a format is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from broadsheet.outputs import feeds\n")
    assert "broadsheet.outputs.feeds" in imports(bad)
    assert part_of("broadsheet.outputs.feeds") not in ALLOWED["build"]


def test_every_folder_is_on_the_map():
    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if path.name != "__init__.py":
            assert f"`{rel}`" in text, f"ARCHITECTURE.md does not mention {rel}"


def test_the_tests_mirror_the_package():
    """tests/<folder>/ holds the tests of broadsheet/<folder>/; whole-product tests stay at the top."""
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} - {
        "scaffold"
    }  # init/new: test_cli.py
    test_folders = {p.name for p in (REPO / "tests").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert test_folders == folders
