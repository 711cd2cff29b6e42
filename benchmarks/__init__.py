"""Benchmark scripts: each writes JSON and a Markdown table under benchmarks/results (results_io).

Run one as ``python -m benchmarks NAME [ARGS]`` (or ``python benchmarks/NAME.py [ARGS]``);
``python -m benchmarks`` lists them.
"""
