"""httpx in both environments: httpcore looks for sniffio on every request, and
without it each look is a failed import that searches sys.path again (a third of
a request's CPU in the web relay; docs/benchmarks.md). anyio 4 no longer brings
it, so the project asks for it (pyproject.toml)."""

import importlib.util


def test_sniffio_is_installed_beside_httpcore():
    assert importlib.util.find_spec("httpcore") is not None
    assert importlib.util.find_spec("sniffio") is not None
