"""The HTTP API and the web page."""

from kiloglot.server.app import ServerConfig, create_app, create_app_from_model
from kiloglot.server.serving import check, serve

__all__ = ["ServerConfig", "check", "create_app", "create_app_from_model", "serve"]
