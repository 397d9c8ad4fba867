"""Argument types shared by Tousu's management commands."""

import argparse
from datetime import datetime

from tousu.timeline import parse_local


def local_time(text: str) -> datetime:
    """`type=` for an operator's date-time (ISO 8601, Asia/Shanghai without an offset): a bad one is
    reported by argparse with the argument's name."""
    try:
        return parse_local(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
