"""The product stands on its own: nothing in it imports the tests, every folder of it is a
regular package, and the wheel `pip` builds holds the product (with the fakes the demo runs
against and its data files) and no `tests` package."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("bots", "handlers", "policy_text", "state")
LEFT_OUT = {".git", ".venv", "build", ".mypy_cache", ".pytest_cache", ".ruff_cache", "__pycache__"}


def product_modules() -> list[Path]:
    return sorted(path for package in (*PRODUCT, "bench") for path in (ROOT / package).rglob("*.py"))


def imported_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module and not node.level}


def test_nothing_in_the_product_or_the_benchmarks_imports_the_tests() -> None:
    offenders = [f"{path.relative_to(ROOT)}: {name}" for path in product_modules() for name in imported_names(path)
                 if name == "tests" or name.startswith("tests.")]
    assert len(product_modules()) > 100
    assert offenders == []


def test_the_teams_sdk_is_imported_only_inside_bots_teams() -> None:
    """botbuilder-python is archived (Microsoft points to the Microsoft 365 Agents SDK): keeping it
    behind bots/teams/ keeps a migration to one folder (docs/deploy.md)."""
    sdk = ("botbuilder", "botframework", "msrest")
    outside = [path for path in product_modules() if not path.is_relative_to(ROOT / "bots" / "teams")]
    offenders = [f"{path.relative_to(ROOT)}: {name}" for path in outside for name in imported_names(path) if name.split(".")[0] in sdk]
    assert offenders == []
    assert any(name.startswith("botbuilder") for path in (ROOT / "bots" / "teams").rglob("*.py") for name in imported_names(path))


def test_every_product_folder_is_a_regular_package() -> None:
    folders = {path.parent for path in product_modules() if path.parent.name != "bench"}
    assert sorted(str(folder.relative_to(ROOT)) for folder in folders if not (folder / "__init__.py").exists()) == []


def test_the_wheel_holds_the_product_and_no_tests(tmp_path: Path) -> None:
    """Built from a copy of the working tree, so the build leaves nothing in it."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=lambda _, names: [name for name in names if name in LEFT_OUT or name.endswith(".egg-info")])
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w",
                            str(tmp_path / "dist"), str(source)], capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("esafety_bot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert [name for name in names if name.startswith("tests/")] == []
    assert {top.split("/")[0] for top in names if not top.startswith("esafety_bot-")} == set(PRODUCT)
    for shipped in ("bots/wecom/__init__.py", "bots/wecom/fakes/api.py", "bots/teams/fakes/payloads/personal_message.json",
                    "bots/demo/roster.csv", "policy_text/en.toml", "policy_text/zh_CN.toml"):
        assert shipped in names
