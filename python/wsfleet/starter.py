"""`wsfleet init FILE`: writes a commented starter scenario (starter.toml beside this module).

    python -m wsfleet.starter FILE [--force]

Refuses to overwrite an existing file unless --force; exit status 0, or 2 with one line naming the
file. From Python: `write_starter(path, force=False) -> Path`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence, Union

__all__ = ["write_starter", "STARTER", "main"]

#: The starter scenario's text.
STARTER = Path(__file__).with_name("starter.toml")


def write_starter(path: Union[str, Path], *, force: bool = False) -> Path:
    """Writes the starter scenario to `path` and returns it; FileExistsError when it exists and not force."""
    target = Path(path)
    if target.exists() and not force:
        raise FileExistsError(f"{target}: already exists (pass --force to overwrite it)")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(STARTER.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def main(argv: Optional[Sequence[str]] = None, prog: Optional[str] = None) -> int:
    parser = argparse.ArgumentParser(prog=prog or "python -m wsfleet.starter",
                                     description="Write a commented starter scenario.")
    parser.add_argument("file", metavar="FILE", help="the scenario file to write (e.g. my-fleet.toml)")
    parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    args = parser.parse_args(argv)
    try:
        path = write_starter(args.file, force=args.force)
    except (FileExistsError, OSError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}; next: wsfleet check {path} && wsfleet run {path} --out results/first --report")
    return 0


if __name__ == "__main__":
    sys.exit(main())
