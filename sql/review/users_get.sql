-- One web app account by name, with the hash its password is checked against.
SELECT name, role, password_hash FROM users WHERE name = :name
