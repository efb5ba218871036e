"""Assessment pages: enterprise history, questionnaire with autosave, submission, result, and
the assessors' on-site work. Modules by audience; `common` and `layout` hold what they share."""
