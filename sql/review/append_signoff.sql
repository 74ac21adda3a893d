-- An approver's sign-off of one report version.
INSERT INTO signoffs (month, version, manifest_sha256, signed_by, note, signed_at, edition_sha256)
VALUES (:month, :version, :manifest_sha256, :signed_by, :note, :signed_at, :edition_sha256)
