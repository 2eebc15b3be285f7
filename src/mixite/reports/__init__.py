"""Presentation: HTML, XLSX, CSV, GeoPackage and DOCX outputs built from computed tables."""
