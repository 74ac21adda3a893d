-- How many web app accounts there are (none: the app cannot be logged into yet).
SELECT count(*) AS accounts FROM users
