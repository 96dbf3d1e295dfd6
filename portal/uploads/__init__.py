"""Uploaded documents: authorisation letters, identity documents, business licences, enterprise
letters and official letters (issue 3 §4; R-18)."""
