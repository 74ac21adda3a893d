"""Benchmarks (`make bench`): each `bench_*.py` module has `run() -> dict` and reports ratios
against a baseline measured in the same process, never absolute wall-clock targets."""
