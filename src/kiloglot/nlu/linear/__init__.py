"""The fast linear parser (kind ``linear``)."""

from kiloglot.nlu.linear.options import LinearOptions
from kiloglot.nlu.linear.parser import LinearParser, compact_saved_model

__all__ = ["LinearOptions", "LinearParser", "compact_saved_model"]
