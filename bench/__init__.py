"""Benchmarks of the proxy (run by hand, not by the test suite): see bench/README.md."""
