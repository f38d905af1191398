"""The /api/docs index page: links to the bundled Swagger UI and the spec (no CDN)."""

INDEX_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plaudit API</title>
<meta http-equiv="refresh" content="0; url=swagger">
<style>body{font-family:system-ui,sans-serif;margin:3em;max-width:40em}</style></head>
<body><h1>Plaudit API</h1>
<p><a href="swagger">Interactive reference (Swagger UI)</a> ·
<a href="/api/v1/openapi.json">OpenAPI 3.1 document</a></p>
<p>Every asset of these pages is served by Plaudit itself; no internet connection is needed.</p>
</body></html>
"""
