"""The IG review web app (`compliance serve`) and its accounts (`compliance users`): docs/review.md,
"The web app". An entry point, like compliance/cli.py: it builds on compliance/review/."""
