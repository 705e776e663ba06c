"""The HTTP doors: JSON API (/api/v1), Open311 (/open311/v2), health."""
