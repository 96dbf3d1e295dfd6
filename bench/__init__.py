"""Performance benchmarks for the credit portal: ``python -m bench`` (see bench/BENCH.md).

Everything here is engine-agnostic orchestration; whatever must run with a given engine's
environment (Piccolo fixes its engine at import) runs in a child process (``bench.probe``).
"""
