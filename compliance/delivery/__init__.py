"""Delivery of the monthly reports by e-mail through Airflow's SMTP provider (see docs/reports.md)."""
