"""Benchmarks for workledger: each prints p50/p95/p99 in milliseconds per backend."""
