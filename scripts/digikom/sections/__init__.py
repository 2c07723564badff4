"""The report's sections. Each module has ``render(R) -> str`` (Markdown), called from one
chunk of reports/report.qmd with R = digikom.report.Report. Sections read numbers through
R (which reads only files under results/) and text through R.tx (the string tables)."""
