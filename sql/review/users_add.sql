-- One new web app account (compliance/review/users.py): its name, role and argon2 password hash.
INSERT INTO users (name, role, password_hash, created_at)
VALUES (:name, :role, :password_hash, :created_at)
