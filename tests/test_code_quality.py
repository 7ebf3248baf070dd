"""CI runs the README's test command only, so the linters run here: ruff and mypy stay clean."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = BIN / name
    if not found.is_file():
        found_on_path = shutil.which(name)
        if found_on_path is None:
            pytest.skip(f"{name} is not installed (bash scripts/install.sh --dev installs it)")
        return found_on_path
    return str(found)


def test_ruff_finds_nothing() -> None:
    done = subprocess.run([_tool("ruff"), "check", "."], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.slow
def test_mypy_finds_nothing() -> None:
    done = subprocess.run([_tool("mypy"), "localize", "flows"], cwd=REPO, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_every_external_program_is_run_by_its_one_adapter() -> None:
    """ffmpeg and ffprobe only from localize/media.py (pydub never encodes), espeak-ng from localize/dub/espeak.py,
    fc-match from localize/fonts.py, Prefect's temporary server from flows/prefect_server.py: one place keeps
    each tool's errors (ToolError, UserError) and its flags."""
    allowed = {"localize/media.py", "localize/dub/espeak.py", "localize/fonts.py", "flows/prefect_server.py"}
    runners = {path.relative_to(REPO).as_posix() for folder in ("localize", "flows")
               for path in (REPO / folder).rglob("*.py") if "subprocess" in path.read_text(encoding="utf-8")}
    assert runners <= allowed, runners
    exports = [path for path in (REPO / "localize").rglob("*.py") if ".export(" in path.read_text(encoding="utf-8")]
    assert exports == []  # pydub's export runs its own ffmpeg, outside media.run_ffmpeg


def test_importing_the_flows_changes_no_setting_and_writes_nothing(tmp_path: Path) -> None:
    """Prefect is configured by whoever runs a flow (`localize run`, the tests' conftest), not on import."""
    probe = ("import os, sys; before = dict(os.environ); import flows.season, flows.launch, localize.season_run; "
             "changed = sorted(k for k in os.environ if os.environ.get(k) != before.get(k)); "
             "sys.exit(f'environment changed: {changed}' if changed else 0)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LOCALIZE_PREFECT"))}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(tmp_path.iterdir()) == []  # no ./.prefect
