"""Benchmarks (architecture.md §5): scripts that print JSON; see bench/README.md."""
