"""Importing party members from Excel or CSV (党员信息导入), all or nothing: new members, and
updates of registered ones (a full export corrected in Excel imports back as its corrections).

The way through, module by module:

- `files`: refuse what is not a spreadsheet (by name and content), too large, or a zip bomb;
  where uploads are kept.
- `extract` and `sandbox`: a workbook (.xlsx, .xls, .ods) read by python-calamine in a child
  process with memory and time limits, handing back its non-blank rows; a sheet that would
  exhaust the worker fails its own job. `sheetcuts` trims a sheet's blank end and splits a big
  sheet in two halves that two processes parse at once.
- `reader`: the sheet's rows (from `extract`, or .csv decoded as UTF-8 or GB18030), its header
  row found among the first rows, hidden rows and columns as warnings.
- `headers`: the headers real rosters use for each field, matched after normalizing; unknown
  ones get the closest known header as a suggestion.
- `setup`: what the check needs from the user (the sheet, a field or "ignore" for each unknown
  header), asked on the job page and remembered per organization (HeaderMapping).
- `skipped`: rows that are not members (the template's example row, footers, totals) and
  content without a header, set aside with warnings.
- `columns` and `cells`: the template's columns, and cell parsing (dates in every usual
  spelling and year-months, Excel serial numbers only where plausible, choice labels).
- `lookups`: organization and region names visible in the importer's scope, resolved once.
- `matching`: the file's ID numbers looked up by digest before the check: a row of a member
  registered in the uploader's area updates that member; one of a deleted member or of a member
  elsewhere in the zone is refused.
- `validate`: every row checked with the registry's own rules; problems in Chinese with the
  row number as Excel shows it.
- `changes`: what each valid row does (a new member, an update field by field, nothing), and
  the rule for empty cells in update rows.
- `writer`: rows encrypted, digested and masked, then all inserted in one transaction through
  the database's fastest path (executemany on SQLite, COPY on PostgreSQL); updates of the
  members they change, locked and checked against the version the check saw.
- `staging`: a valid file's rows, encrypted, kept between the check and the save (the
  clear-text upload is deleted as soon as the check passes).
- `pipeline`: the check (dry run) and the save, as plain functions; `parts` checks a big
  file's two halves at once (the second in a forked process) when they can be put together.
- `jobs`: the ImportJob lifecycle run by `heli worker`, with progress.
- `template` and `report`: the downloadable template and error report.
- `bench`: `heli bench import`.
"""
