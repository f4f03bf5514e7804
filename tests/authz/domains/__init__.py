"""Matrix rows and world objects of newer domains, one module per domain.

Each module here may define:
- `ROWS`: a list of rows (roles.app / roles.admin / roles.public), added to the matrix;
- `build(school, db)`: called once per school after the rest of the world is committed,
  to create that domain's objects (commit them);
- `ids(school) -> dict`: extra placeholders for that school's objects.
Modules are found by name, so a new domain adds a file and touches nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil


def modules() -> list:
    """Every domain module of this package, in name order."""
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
    ]


def rows() -> list:
    return [row for m in modules() for row in getattr(m, "ROWS", [])]


def build(school, db) -> None:
    for m in modules():
        if hasattr(m, "build"):
            m.build(school, db)


def ids(school) -> dict:
    out: dict = {}
    for m in modules():
        if hasattr(m, "ids"):
            out.update(m.ids(school))
    return out
