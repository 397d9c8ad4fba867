"""The intake pipeline (layer 2 of DESIGN.md): the one way a complaint comes in, and the one place that
turns what a re-assessment changed into its consequences. Entry points (API, pages, commands, tasks)
call it; it calls the domain actions below (complaints, assessments, workflow), which never call back.

- `pipeline`: record_complaint (one) and record_batch (an import), the same steps
- `corrections`: facts corrected after intake, handled like an arrival
- `consequences`: re-assessment and overrides, then clocks and emergency proposals
- `incidents`: mass-incident early warning, linking, re-assessing and planning many complaints at once
- `email`, `imports`, `import_jobs`: the mailbox, a file batch by batch, an uploaded file in the background
- `store`, `batch_history`: first owner, tracking numbers and rows; an import's histories and crossings
"""
