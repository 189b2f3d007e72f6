"""A domain (领域) of a vertical data library, defined by operators.

Repositories join a domain by naming it in their card (``domain: <slug or name>``) or with a
``domain:<slug>`` tag; membership is not stored here, so a README edit is all it takes and the
card stays the single source of truth (the search facet reads the same fields).
"""

from __future__ import annotations

from django.db import models


class Domain(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name_zh = models.CharField(max_length=64)
    name_en = models.CharField(max_length=96, blank=True)
    description_zh = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def name(self, language: str = "zh-hans") -> str:
        """The name in ``language`` (Chinese is the default and the fallback)."""
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh

    def description(self, language: str = "zh-hans") -> str:
        if language.startswith("en") and self.description_en:
            return self.description_en
        return self.description_zh or self.description_en
