"""Collection of records from providing agencies (push API, Excel upload, single entry)."""
