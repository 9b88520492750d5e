"""Palata proxy: a privacy-preserving access-control proxy for the Palata PostgreSQL database."""

__version__ = "0.1.0"
