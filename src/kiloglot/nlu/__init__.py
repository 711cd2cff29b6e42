"""Parsers: one contract, several kinds, one artifact format."""

from kiloglot.nlu import registry
from kiloglot.nlu.artifact import load, read_manifest
from kiloglot.nlu.contract import Parser
from kiloglot.nlu.parse import Parse, SlotValue

__all__ = ["Parse", "Parser", "SlotValue", "load", "read_manifest", "registry"]
