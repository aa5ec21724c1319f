"""Benchmarks of the portal: `make bench` (figures printed and written to bench/results/)."""
