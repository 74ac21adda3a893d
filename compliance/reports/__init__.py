"""The month's reports as one version under `<home>/reports/<month>/v<N>/` (docs/reports.md).

`build.build_reports` is the entry point: `collect` reads the figures, `monthly` and `committee`
render the IG report and the committee summary, `exports` and `statutory` write the CSV/Parquet
files, `pdf` prints, `versions` and `manifest` keep the history, `look` checks the layout.
"""
