"""Server-rendered pages for people. Defines no models."""
