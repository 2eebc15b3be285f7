"""Migrations of the web application's database (written by makemigrations)."""

__all__: list[str] = []
