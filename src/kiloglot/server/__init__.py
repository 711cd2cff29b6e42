"""The HTTP API and the web page."""

from kiloglot.server.app import ServerConfig, create_app, create_app_from_model

__all__ = ["ServerConfig", "create_app", "create_app_from_model"]
