"""The fast linear parser (kind ``linear``)."""

from kiloglot.nlu.linear.parser import LinearOptions, LinearParser

__all__ = ["LinearOptions", "LinearParser"]
