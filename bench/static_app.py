"""The static comparison for ``bench.results_day``: the publication folder served by
Starlette's ``StaticFiles`` under uvicorn (the same server stack as ``paiwei serve``,
without the application). ``PAIWEI_BENCH_STATIC_DIR`` names the folder."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles


def app_from_environment() -> Starlette:
    folder = os.environ["PAIWEI_BENCH_STATIC_DIR"]
    return Starlette(routes=[Mount("/", app=StaticFiles(directory=folder))])
