"""The HTTP server of `codestar-local serve` and of testing.ThreadServer: our own, on uvloop and httptools.

Measured against uvicorn and granian in bench/bench_protocol.py (docs/PERFORMANCE.md, "The serving core").
"""
