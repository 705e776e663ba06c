"""Interactive API documentation served offline (Swagger UI from the swagger-ui-bundle package)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>civicgrid API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css"></head>
<body data-openapi="/openapi.json"><div id="swagger-ui"></div>
<script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-ui/swagger-ui-standalone-preset.js"></script>
<script src="/static/api/docs-init.js"></script>
</body></html>"""


@router.get("/docs", response_class=HTMLResponse)
def docs() -> str:
    """Swagger UI."""
    return PAGE
