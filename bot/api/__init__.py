"""golive's HTTP API for automation (``/api/``): see :mod:`bot.api.routes` and docs/api.md."""

from bot.api.routes import create_api

__all__ = ["create_api"]
