"""The subject's own credit report as a verifiable PDF (issue 3 §1; R-15, R-18).

portal.reports.service.build_self_report renders and registers a report (the download route
calls it after the disclosure is audited); portal.reports.tokens.verify_token checks a token;
anyone holding a report checks it at /reports/verify/{token} (routes.py). Nothing is imported
here, so the asset build can read portal.reports.fonts without loading the database layer.
"""
