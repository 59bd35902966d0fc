"""architecture.md: ims_domain stays pure: no adapter library is imported, directly or not."""

import ast
import subprocess
import sys
from pathlib import Path

FORBIDDEN = ("telegram", "sqlmodel", "sqlalchemy", "pandas", "apscheduler", "openpyxl")
DOMAIN = Path(__file__).resolve().parents[2] / "ims_domain"


def test_domain_source_imports_no_adapter_library() -> None:
    offenders = []
    for path in DOMAIN.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_the_whole_domain_loads_no_adapter_library() -> None:
    """Catches indirect imports too: a fresh interpreter imports every domain module."""
    modules = [f"ims_domain.{p.stem}" for p in DOMAIN.glob("*.py") if p.stem != "__init__"]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
