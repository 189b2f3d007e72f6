"""Vertical data libraries (垂直开源库): operator-defined domains and their repositories."""
