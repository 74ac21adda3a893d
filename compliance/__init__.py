"""Compliance audit of arrest-data sharing with immigration enforcement."""
