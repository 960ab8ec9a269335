"""The wire format: every field name and format of a response, in one place."""
