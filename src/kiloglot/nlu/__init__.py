"""Parsers: one contract, several kinds, one artifact format."""

from kiloglot.nlu.artifact import load, read_manifest
from kiloglot.nlu.contract import Parser
from kiloglot.nlu.parse import Parse, SlotValue
from kiloglot.nlu import registry

__all__ = ["Parse", "Parser", "SlotValue", "load", "read_manifest", "registry"]
