"""JSON logs for the API process and uvicorn, one object per line on stderr."""

from __future__ import annotations

import logging.config
from typing import Any


def log_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict; also handed to uvicorn as its ``log_config``."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "perpgraph": {"level": level.upper()},
            "uvicorn": {"level": level.upper()},
            "uvicorn.access": {"level": "WARNING"},
            "httpx": {"level": "WARNING"},
            # its DEBUG lines print request lines, and Coinglass's key travels in the URL
            "websockets": {"level": "WARNING"},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }


def configure(level: str = "INFO") -> None:
    logging.config.dictConfig(log_config(level))


__all__ = ["configure", "log_config"]
