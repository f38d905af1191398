"""The guides name only files, folders and modules that exist in the repository."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("rewards", "storage", "bot", "api", "scheduler", "plaudit")
# First segments that mark a token as a repository path; `src` is listed so a stale mention fails.
PATH_ROOTS = (*ROOMS, "tests", "docs", "scripts", "bench", ".ci", "src")
TOP_LEVEL_FILES = ("README.md", "pyproject.toml", "manifest.yml")
# Dotted words ending so are host names or file names (`plaudit.example.com`, `plaudit.db`).
NOT_MODULE_ENDINGS = ("com", "org", "net", "io", "dev", "local", "example", "db", "lock", "json", "md")
DOTTED = re.compile(r"^(?:" + "|".join(ROOMS) + r")(?:\.[A-Za-z_]\w*)+$")
INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
PLACEHOLDER = re.compile(r"[<>*{}…]|\.\.\.")


def guides() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _tokens(code: str) -> list[str]:
    """Words of an inline code span, stripped of quotes, trailing punctuation and `:line` tails."""
    words = []
    for word in code.split():
        word = word.strip("\"'()[],;").rstrip(".")
        if not word or "://" in word or word.startswith(("/", "$", "-")) or PLACEHOLDER.search(word):
            continue
        word = word.removeprefix("./")
        word = word.split("::", 1)[0].split(":", 1)[0]  # pytest ids, `file.py:120`, `module:app`
        if word:
            words.append(word)
    return words


def _is_path(word: str) -> bool:
    if word in TOP_LEVEL_FILES or word.startswith("../"):
        return True  # `../` is checked so that nothing points outside the repository
    return "/" in word and word.split("/", 1)[0] in PATH_ROOTS


def _is_module(word: str) -> bool:
    return bool(DOTTED.match(word)) and word.rsplit(".", 1)[-1] not in NOT_MODULE_ENDINGS


def names_in(text: str) -> tuple[list[str], list[str], list[str]]:
    """(repository paths, dotted module names, relative link targets) named in a guide."""
    prose = FENCE.sub("", text)  # fenced blocks are shell sessions and payloads, not references
    paths, modules = [], []
    for code in INLINE_CODE.findall(prose):
        for word in _tokens(code):
            if _is_path(word):
                paths.append(word)
            elif _is_module(word):
                modules.append(word)
    links = [
        target.split("#", 1)[0]
        for target in LINK.findall(prose)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")
    ]
    return paths, modules, [link for link in links if link]


def _defines(module_file: Path, name: str) -> bool:
    """Whether the module defines `name` at its top level (function, class or assignment)."""
    tree = ast.parse(module_file.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
            return True
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def module_exists(dotted: str) -> bool:
    """A dotted name is a module or package, or a top-level name defined in one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:cut])
        found = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
        if not found.is_file():
            continue
        rest = parts[cut:]
        return not rest or (len(rest) <= 2 and _defines(found, rest[0]))
    return False


def missing_in(guide: Path) -> list[str]:
    paths, modules, links = names_in(guide.read_text(encoding="utf-8"))
    missing = [p for p in paths if p.startswith("../") or not (ROOT / p.rstrip("/")).exists()]
    missing += [m for m in modules if not module_exists(m)]
    for link in links:
        target = (guide.parent / link).resolve()
        if not target.is_relative_to(ROOT) or not target.exists():
            missing.append(link)
    return missing


@pytest.mark.parametrize("guide", guides(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_named_file_and_module_exists(guide: Path) -> None:
    assert missing_in(guide) == []


def test_the_architecture_map_names_many_real_things() -> None:
    paths, modules, _ = names_in((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"))
    assert len(set(paths)) > 30
    assert len(set(modules)) > 5


def test_the_readme_points_at_the_map_first() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guides_section = readme.split("## Guides", 1)[1]
    first_link = LINK.search(guides_section)
    assert first_link is not None and first_link.group(1) == "docs/architecture.md"


def test_the_extraction_finds_paths_and_modules_and_skips_urls() -> None:
    text = (
        "See `bot/inbound/giving.py`, `storage/ledger/` and `rewards.services.recognition`;"
        " `POST /api/v1/awards`, `https://x.example.com/a/b`, `plaudit.example.com` and"
        " `.plaudit/dev-keys.json`, `plaudit.db` are not repository names; `../outside/X.md` is."
        " [the map](architecture.md)\n"
        "```sh\nsrc/ignored.py\n```\n"
    )
    paths, modules, links = names_in(text)
    assert paths == ["bot/inbound/giving.py", "storage/ledger/", "../outside/X.md"]
    assert modules == ["rewards.services.recognition"]
    assert links == ["architecture.md"]


def test_stale_names_are_caught() -> None:
    assert not module_exists("storage.api_queries")
    assert not module_exists("rewards.services.recognition.no_such_function")
    assert module_exists("rewards.services.recognition.give_recognition")
    assert module_exists("storage.ledger")
