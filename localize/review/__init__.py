"""The review page: a web app where QA watches a delivery, fixes its lines and approves it.

Modules, one job each: `model` (what the pages show, read from OUT), `pages` (the HTML), `jobs`
(an edit approved and the delivery made again in the background), `app` (the FastAPI routes and
the rules: loopback or a token, OUT's files only). `localize review OUT` starts it (localize.cli_review).
"""
