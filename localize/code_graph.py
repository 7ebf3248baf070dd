"""Which of the project's source files a function's result can depend on, read from the imports.

A stage's result is reused only while the code that made it is unchanged (`localize.store`). Rather
than a hand-kept list of folders per stage (which forgot a stage or two), the files are derived:
the module that defines the stage's function, every project module it imports (at the top or
inside a function, `import x` or `from x import y`), transitively, and the `__init__.py` of every
package on the way (Python runs them on import). Read with `ast`, nothing is imported.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterable
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository: localize/ and flows/ sit here
PACKAGES = ("localize", "flows")
# CPython 3.11's parser is not safe to run from several threads at once ("AST constructor recursion
# depth mismatch"): the season run's threads reach here together on their first stage.
_PARSING = threading.Lock()


def module_file(module: str, root: Path = ROOT) -> Path | None:
    """The source file of a project module ("localize.asr.fuse" -> localize/asr/fuse.py), or None."""
    if module.split(".")[0] not in PACKAGES:
        return None
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(file: Path, module: str, root: Path) -> Iterable[str]:
    """The project modules `file` (the module `module`) imports: `import a.b`, `from a import b` (a module
    b, else a's own namespace), relative imports resolved; at any depth of the file."""
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    with _PARSING:
        tree = ast.parse(file.read_bytes(), filename=str(file))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if module_file(submodule, root) else base


def _with_packages(module: str) -> list[str]:
    """The module and the packages above it ("a.b.c" -> "a", "a.b", "a.b.c")."""
    parts = module.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts) + 1)]


@cache
def dependency_files(module: str, root: Path = ROOT) -> tuple[Path, ...]:
    """Every project source file `module`'s code can run, itself included, sorted.

    A module imported is followed into its own imports; the packages above it are counted (their
    `__init__.py` runs first) but not followed: what a package re-exports for others does not change
    what its submodule does.
    """
    files: set[Path] = set()
    followed: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name.split(".")[0] not in PACKAGES:
            continue
        chain = [(part, module_file(part, root)) for part in _with_packages(name)]
        found = [(part, file) for part, file in chain if file is not None]
        if not found:
            continue
        files.update(file for _, file in found)
        target, target_file = found[-1]
        if target not in followed:
            followed.add(target)
            todo += _imported(target_file, target, root)
    return tuple(sorted(files))
