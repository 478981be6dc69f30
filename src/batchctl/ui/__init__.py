"""`batchctl ui`: a local dashboard (Starlette + uvicorn, server-rendered HTML, server-sent events, htmx).

Every page reads through the SDK (`batchctl.api.Batchctl`); see docs/dashboard.md.
"""
