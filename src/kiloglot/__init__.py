"""kiloglot: a massively multilingual virtual-assistant toolkit."""

__version__ = "0.2.0"
