"""Parsers: one contract, several kinds, one artifact format."""

from kiloglot.nlu import registry
from kiloglot.nlu.artifact import Manifest, read_manifest
from kiloglot.nlu.contract import (
    GivesSoftTargets,
    LearnsFromSoftTargets,
    Parser,
    ParsesGivenIntents,
    Saveable,
    TrainableParser,
)
from kiloglot.nlu.parse import Parse, SlotValue
from kiloglot.nlu.registry import create, load

__all__ = [
    "GivesSoftTargets",
    "LearnsFromSoftTargets",
    "Manifest",
    "Parse",
    "Parser",
    "ParsesGivenIntents",
    "Saveable",
    "SlotValue",
    "TrainableParser",
    "create",
    "load",
    "read_manifest",
    "registry",
]
