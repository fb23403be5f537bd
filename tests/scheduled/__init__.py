"""Tests of bot/scheduled: reminders, digests, /schedule and /away end to end: real PTB, the fake
Bot API, real databases.

Time is controlled, never waited for: runs are started by calling the job functions with a
chosen `now` (bot.scheduled.jobs.run_slot, bot.scheduled.jobs.sweep) or by running a scheduled
job's callback as PTB does when its time comes (`fire`), and the bot is built with a clock
standing at the test's chosen moment (`running_bot(..., clock=Clock(...))`), so its start-up
sweep, /away and /schedule see that moment too; nothing depends on when the suite runs.
"""
