"""The portal's own housekeeping: a scheduler with one leader across workers and hosts (a lease row
in the database) that purges sessions, sweeps uploads, signs audit checkpoints, verifies the audit
log and runs the 5-year purge (R-19). Each job stays a CLI command for cron."""
