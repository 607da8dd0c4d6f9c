"""The one exception the parsing helpers raise for a value they cannot accept."""

from __future__ import annotations


class ParseError(ValueError):
    """A delivered value that cannot be parsed. The message names the value and says why."""
