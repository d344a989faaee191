"""Rows of the URL matrix for the member import pages (merged into test_url_matrix.MATRIX)."""

IMPORT_MATRIX: dict = {}
