"""IG review: every flag of a published report version can get a recorded decision (docs/review.md).

The store keeps decisions apart from the warehouse, so that a reviewer can write while a DAG run
holds the warehouse's lock, and reads flags only from published report versions.
"""
