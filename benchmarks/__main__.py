"""Run every benchmark module, or those named on the command line, and print their results."""
import importlib
import json
import pkgutil
import sys
from pathlib import Path


def main(names: list[str]) -> int:
    here = Path(__file__).parent
    modules = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    chosen = [m for m in modules if not names or m in names or m.removeprefix("bench_") in names]
    if not chosen:
        print(f"no benchmark named {names}; available: {', '.join(modules)}", file=sys.stderr)
        return 2
    for name in chosen:
        print(f"== {name}", flush=True)
        result = importlib.import_module(f"benchmarks.{name}").run()
        print(json.dumps(result, indent=2, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
