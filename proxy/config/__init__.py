"""Configuration: one validated `Settings` object built from file, environment and flags."""

from proxy.config.loader import load_settings
from proxy.config.settings import Settings

__all__ = ["Settings", "load_settings"]
