#!/usr/bin/env python3
"""Recompute a lottery draw from its published inputs and check it matches the result.

    python scripts/verify_lottery.py published.json
    python scripts/verify_lottery.py https://host/api/v1/terms/7/lottery/inputs --token TOKEN

The JSON is what GET /api/v1/terms/{term_id}/lottery/inputs returns: {seed_hash, inputs,
result}. The check needs only the standard library and backend/courses/draw.py (loaded
by path, so the rest of the backend need not be installed). Exit 0 when the seed matches
the hash committed before the window closed and the recomputed draw equals the result.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import urllib.request
from pathlib import Path

DRAW_PY = Path(__file__).resolve().parent.parent / "backend" / "courses" / "draw.py"


def load_draw(path: Path = DRAW_PY):
    spec = importlib.util.spec_from_file_location("kehou_lottery_draw", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(source: str, token: str | None = None) -> dict:
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    return json.loads(Path(source).read_text(encoding="utf-8"))


def verify(published: dict, draw=None) -> list[str]:
    """The list of problems found (empty = the draw is reproduced exactly)."""
    draw = draw or load_draw()
    problems = []
    inputs, result = published["inputs"], published["result"]
    if hashlib.sha256(inputs["seed"].encode()).hexdigest() != published["seed_hash"]:
        problems.append("sha256(seed) differs from the committed seed_hash")
    if inputs.get("algorithm") != draw.ALGORITHM_ID:
        problems.append(f"algorithm {inputs.get('algorithm')!r} is not {draw.ALGORITHM_ID!r}")
    again = draw.run(inputs)
    for key in ("order", "placements", "waitlists"):
        if again[key] != result.get(key):
            problems.append(f"{key} differ from the published result")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="a JSON file or the lottery/inputs URL")
    parser.add_argument("--token", help="Bearer token when reading from the API")
    args = parser.parse_args(argv)
    published = load(args.source, args.token)
    problems = verify(published)
    inputs = published["inputs"]
    print(
        f"pupils {len(inputs['pupils'])}, courses {len(inputs['courses'])}, "
        f"placements {len(published['result']['placements'])}"
    )
    if problems:
        for problem in problems:
            print("MISMATCH:", problem)
        return 1
    print("OK: the published result is exactly what the algorithm gives for these inputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
