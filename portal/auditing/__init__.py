"""The auditor UI as mounted in the portal (issue 3 item 10); the handlers live in audit/routes.py."""
