-- A month's sign-offs, oldest first: one per signed-off report version.
SELECT month, version, manifest_sha256, signed_by, note, signed_at, edition_sha256
FROM signoffs
WHERE month = :month
ORDER BY seq
