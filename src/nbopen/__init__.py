"""NBopen: code, model and dataset hosting for a city's open-source community."""

__version__ = "0.1.0"
