"""Getting a round's answers out of the chat: spreadsheet, CSV, Markdown and PDF report.

Everything here is plain Python with no Telegram types, so it runs in a worker thread and is
tested on its own (the /export handler is bot/manage/exports.py):

- `data`: the `RoundReport`, gathered from the database in a fixed number of statements;
- `stats`: completion, ratings and trends by area, computed from a report;
- `rows`: the flat answer table shared by `csv_export` and the spreadsheet's raw sheet;
- `xlsx`, `csv_export`: the spreadsheets, kept safe from formula injection by `cells`;
- `report`: what the report says, as neutral blocks that `markdown` and `pdf` render;
- `charts`: PNG charts drawn with matplotlib's Agg backend;
- `limits`: keeping each file under Telegram's upload limit (zip, then split);
- `bundle`: builds every file of one export.
"""
