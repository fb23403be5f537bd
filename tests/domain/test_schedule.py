"""The schedule domain on its own: DST weeks, quiet hours, period keys and the catch-up decision."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.schedule import (
    QuietHours,
    Recurrence,
    ScheduleError,
    ScheduleKind,
    SendingWindow,
    catch_up_slot,
    current_period,
    days_from_column,
    effective_instant,
    is_scheduled,
    job_is_current,
    last_slot,
    next_slot,
    parse_days,
    parse_quiet_hours,
    parse_time,
    parse_zone,
    period_key,
    quiet_until,
    sendable_time,
    sending_window,
    slots_around,
    week_prefix,
)

REMINDER, DIGEST = ScheduleKind.REMINDER, ScheduleKind.DIGEST
MON_THU_10 = (1, 4), time(10, 0)
NIGHT = QuietHours(time(20, 0), time(8, 0))
UTC_ZONE = ZoneInfo("UTC")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def upcoming(kind, recurrence, start, count):
    """The next `count` run instants after `start`, as the scheduler would chain them."""
    runs, now = [], start
    for _ in range(count):
        slot = next_slot(kind, recurrence, now)
        runs.append(slot)
        now = slot.at
    return runs


class TestDaylightSaving:
    def test_london_spring_forward_keeps_local_ten_oclock(self):
        london = Recurrence(*MON_THU_10, "Europe/London")
        runs = upcoming(REMINDER, london, utc(2026, 3, 24, 12), 3)
        # Thu 26 Mar is still GMT; BST starts Sun 29 Mar, so Monday's 10:00 is 09:00 UTC.
        assert [r.at for r in runs] == [
            utc(2026, 3, 26, 10),
            utc(2026, 3, 30, 9),
            utc(2026, 4, 2, 9),
        ]
        assert [r.period for r in runs] == ["2026-W13-thu", "2026-W14-mon", "2026-W14-thu"]

    def test_london_fall_back(self):
        london = Recurrence(*MON_THU_10, "Europe/London")
        runs = upcoming(REMINDER, london, utc(2026, 10, 20), 2)
        assert [r.at for r in runs] == [utc(2026, 10, 22, 9), utc(2026, 10, 26, 10)]

    def test_new_york_digest_across_both_changes(self):
        new_york = Recurrence((5,), time(16, 0), "America/New_York")
        spring = upcoming(DIGEST, new_york, utc(2026, 3, 2), 2)
        assert [r.at for r in spring] == [utc(2026, 3, 6, 21), utc(2026, 3, 13, 20)]
        autumn = upcoming(DIGEST, new_york, utc(2026, 10, 26), 2)
        assert [r.at for r in autumn] == [utc(2026, 10, 30, 20), utc(2026, 11, 6, 21)]
        assert [r.period for r in autumn] == ["2026-W44", "2026-W45"]

    def test_time_inside_the_spring_gap_runs_once_just_after_it(self):
        # 02:30 does not exist in New York on Sun 8 Mar 2026: it runs at 03:30 EDT.
        sunday_early = Recurrence((7,), time(2, 30), "America/New_York")
        slot = next_slot(REMINDER, sunday_early, utc(2026, 3, 7))
        assert slot.at == utc(2026, 3, 8, 7, 30)
        assert next_slot(REMINDER, sunday_early, slot.at).local_date == date(2026, 3, 15)

    def test_time_that_happens_twice_runs_once(self):
        # 01:30 happens twice in New York on Sun 1 Nov 2026: the first one (EDT) only.
        sunday_early = Recurrence((7,), time(1, 30), "America/New_York")
        slot = next_slot(REMINDER, sunday_early, utc(2026, 10, 31))
        assert slot.at == utc(2026, 11, 1, 5, 30)
        assert next_slot(REMINDER, sunday_early, slot.at).local_date == date(2026, 11, 8)

    def test_every_day_of_a_dst_week_has_exactly_one_run(self):
        daily = Recurrence(tuple(range(1, 8)), time(9, 0), "Europe/London", NIGHT)
        runs = upcoming(REMINDER, daily, utc(2026, 3, 25), 7)
        assert [r.local_date.day for r in runs] == [25, 26, 27, 28, 29, 30, 31]
        assert len({r.period for r in runs}) == 7


class TestQuietHours:
    def test_a_run_in_quiet_hours_moves_to_their_end(self):
        late = Recurrence((4,), time(21, 0), "Europe/Madrid", NIGHT)
        slot = next_slot(REMINDER, late, utc(2026, 11, 23))
        # Thu 26 Nov 21:00 Madrid is quiet: it runs Fri 27 Nov 08:00 (07:00 UTC)...
        assert slot.at == utc(2026, 11, 27, 7)
        # ...and is still Thursday's reminder in the delivery log.
        assert slot.period == "2026-W48-thu"

    def test_early_morning_moves_to_the_same_morning(self):
        early = Recurrence((1,), time(6, 30), "UTC", NIGHT)
        assert next_slot(REMINDER, early, utc(2026, 11, 22)).at == utc(2026, 11, 23, 8)

    def test_window_within_a_day(self):
        lunch = QuietHours(time(12, 0), time(14, 0))
        tz = Recurrence((1,), time(0), "UTC").tz
        assert effective_instant(date(2026, 11, 23), time(13, 0), tz, lunch) == utc(
            2026, 11, 23, 14
        )
        assert effective_instant(date(2026, 11, 23), time(14, 0), tz, lunch) == utc(
            2026, 11, 23, 14
        )

    def test_edges(self):
        assert quiet_until(NIGHT, UTC_ZONE, utc(2026, 11, 23, 20)) == utc(2026, 11, 24, 8)
        assert quiet_until(NIGHT, UTC_ZONE, utc(2026, 11, 24, 7, 59)) == utc(2026, 11, 24, 8)
        assert quiet_until(NIGHT, UTC_ZONE, utc(2026, 11, 24, 8)) is None
        assert quiet_until(NIGHT, UTC_ZONE, utc(2026, 11, 23, 19, 59)) is None
        assert quiet_until(None, UTC_ZONE, utc(2026, 11, 23, 23)) is None

    def test_quiet_end_across_the_dst_change_is_local(self):
        late_saturday = Recurrence((6,), time(22, 0), "Europe/London", NIGHT)
        slot = next_slot(REMINDER, late_saturday, utc(2026, 3, 27))
        # Sat 28 Mar 22:00 GMT is quiet; Sunday 08:00 is already BST, so 07:00 UTC.
        assert slot.at == utc(2026, 3, 29, 7)
        assert slot.period == "2026-W13-sat"

    def test_shifted_runs_keep_their_order(self):
        evening_and_morning = Recurrence((4, 5), time(21, 30), "UTC", NIGHT)
        runs = slots_around(REMINDER, evening_and_morning, utc(2026, 11, 25))
        assert [r.at for r in runs] == sorted(r.at for r in runs)
        assert len({r.at for r in runs}) == len(runs)


class TestSendingTime:
    """Quiet hours hold when sending, not only when a slot is computed."""

    madrid = ZoneInfo("Europe/Madrid")

    def test_a_run_starting_in_quiet_hours_opens_at_their_end(self):
        # Mon 21:30 in Madrid (20:30 UTC): nothing until Tue 08:00 (07:00 UTC).
        window = sending_window(NIGHT, "Europe/Madrid", utc(2026, 11, 23, 20, 30))
        assert window == SendingWindow(
            opens=utc(2026, 11, 24, 7), closes=utc(2026, 11, 24, 19), reopens=utc(2026, 11, 25, 7)
        )
        assert not window.is_open(utc(2026, 11, 23, 20, 30))

    def test_a_run_in_the_evening_may_send_until_quiet_hours_begin(self):
        window = sending_window(NIGHT, "Europe/Madrid", utc(2026, 11, 23, 18, 30))
        assert window.opens == utc(2026, 11, 23, 18, 30)
        # It stops at 20:00 local and goes on at 08:00 local the next morning.
        assert (window.closes, window.reopens) == (utc(2026, 11, 23, 19), utc(2026, 11, 24, 7))
        assert window.is_open(utc(2026, 11, 23, 18, 59)) and not window.is_open(window.closes)

    def test_without_quiet_hours_it_never_closes(self):
        window = sending_window(None, "Europe/Madrid", utc(2026, 11, 23, 23))
        assert window == SendingWindow(utc(2026, 11, 23, 23), None, None)

    def test_quiet_hours_across_the_dst_change_follow_the_local_clock(self):
        # Sat 28 Mar 2026 21:00 in London is quiet until Sun 08:00 BST, which is 07:00 UTC;
        # that night has only 11 hours.
        london = ZoneInfo("Europe/London")
        assert quiet_until(NIGHT, london, utc(2026, 3, 28, 21)) == utc(2026, 3, 29, 7)
        night = sendable_time(NIGHT, london, utc(2026, 3, 28, 20), utc(2026, 3, 29, 7))
        assert night == timedelta(0)

    def test_sendable_time_leaves_out_the_night(self):
        # Mon 19:30 to Tue 09:00 in Madrid: 30 minutes before quiet hours, 1 hour after.
        start, end = utc(2026, 11, 23, 18, 30), utc(2026, 11, 24, 8)
        assert sendable_time(NIGHT, self.madrid, start, end) == timedelta(minutes=90)
        assert sendable_time(None, self.madrid, start, end) == end - start
        assert sendable_time(NIGHT, self.madrid, end, start) == timedelta(0)


class TestPeriodKeys:
    def test_reminder_and_digest_keys(self):
        assert period_key(REMINDER, date(2026, 11, 23)) == "2026-W48-mon"
        assert period_key(DIGEST, date(2026, 11, 27)) == "2026-W48"
        assert week_prefix("2026-W48-mon") == "2026-W48-"

    def test_iso_year_at_new_year(self):
        # 1 Jan 2027 is a Friday in ISO week 53 of 2026.
        assert period_key(REMINDER, date(2027, 1, 1)) == "2026-W53-fri"
        assert period_key(DIGEST, date(2027, 1, 4)) == "2027-W01"

    def test_period_of_an_unscheduled_run_is_the_local_day(self):
        # 23:30 UTC on a Sunday is already Monday in Madrid.
        assert current_period(REMINDER, utc(2026, 11, 22, 23, 30), "Europe/Madrid") == (
            "2026-W48-mon"
        )


class TestCatchUp:
    friday_digest = Recurrence((5,), time(16, 0), "UTC")
    created = utc(2026, 1, 1)
    grace = timedelta(minutes=180)

    def decide(self, now, completed=frozenset(), not_before=None):
        return catch_up_slot(
            DIGEST, self.friday_digest, now, self.grace, not_before or self.created, completed
        )

    def test_missed_run_within_grace_is_caught_up(self):
        catch_up = self.decide(utc(2026, 11, 27, 17))
        assert catch_up.slot.period == "2026-W48" and catch_up.slot.at == utc(2026, 11, 27, 16)
        assert catch_up.run_at == utc(2026, 11, 27, 17)  # at once

    def test_never_twice(self):
        assert self.decide(utc(2026, 11, 27, 17), completed={"2026-W48"}) is None

    def test_too_late_is_skipped(self):
        assert self.decide(utc(2026, 11, 27, 19, 1)) is None
        assert self.decide(utc(2026, 11, 27, 19)) is not None

    def test_not_for_a_team_that_did_not_exist_yet(self):
        assert self.decide(utc(2026, 11, 27, 17), not_before=utc(2026, 11, 27, 16, 30)) is None

    def test_nothing_due(self):
        assert self.decide(utc(2026, 11, 27, 15, 59)) is None

    def test_a_catch_up_in_quiet_hours_waits_for_their_end(self):
        # Monday 19:30 in Madrid, quiet 20:00-08:00; the bot is back at 21:30.
        evening = Recurrence((1,), time(19, 30), "Europe/Madrid", NIGHT)
        catch_up = catch_up_slot(
            REMINDER, evening, utc(2026, 11, 23, 20, 30), self.grace, self.created, set()
        )
        assert catch_up.slot.period == "2026-W48-mon"
        assert catch_up.run_at == utc(2026, 11, 24, 7)  # Tuesday 08:00 local, not at once

    def test_a_run_deferred_by_quiet_hours_is_not_missed(self):
        evening = Recurrence((1,), time(19, 30), "Europe/Madrid", NIGHT)

        def decide(now):
            return catch_up_slot(REMINDER, evening, now, self.grace, self.created, set())

        # At the end of the night it is only 30 minutes late...
        assert decide(utc(2026, 11, 24, 7)).run_at == utc(2026, 11, 24, 7)
        # ...and still due until the grace period of sendable time is used up: 30 min + 2:30.
        assert decide(utc(2026, 11, 24, 9, 30)) is not None
        assert decide(utc(2026, 11, 24, 9, 31)) is None

    def test_last_slot_is_at_or_before_now(self):
        assert last_slot(DIGEST, self.friday_digest, utc(2026, 11, 27, 16)).period == "2026-W48"
        assert last_slot(DIGEST, self.friday_digest, utc(2026, 11, 27, 15)).period == "2026-W47"


class TestJobsAfterAChange:
    mon_thu = Recurrence(*MON_THU_10, "UTC")

    def test_a_slot_is_scheduled_while_its_day_and_time_stay(self):
        slot = next_slot(REMINDER, self.mon_thu, utc(2026, 11, 22))
        assert is_scheduled(REMINDER, self.mon_thu, slot)
        later = Recurrence((1, 4), time(11, 0), "UTC")
        assert not is_scheduled(REMINDER, later, slot)
        assert not is_scheduled(REMINDER, Recurrence((), time(10, 0), "UTC"), slot)
        assert not is_scheduled(REMINDER, Recurrence(*MON_THU_10, "Europe/Madrid"), slot)
        assert not is_scheduled(DIGEST, self.mon_thu, slot)

    def test_a_job_is_current_only_for_the_next_slot(self):
        now = utc(2026, 11, 22)
        monday = next_slot(REMINDER, self.mon_thu, now)
        assert job_is_current(REMINDER, self.mon_thu, monday, now)
        thursday = next_slot(REMINDER, self.mon_thu, monday.at)
        assert not job_is_current(REMINDER, self.mon_thu, thursday, now), "Monday comes first"
        # A job about to fire stays, as long as its slot was not changed.
        assert job_is_current(REMINDER, self.mon_thu, monday, monday.at + timedelta(seconds=1))
        thursdays = Recurrence((4,), time(10, 0), "UTC")
        assert not job_is_current(REMINDER, thursdays, monday, monday.at)


class TestParsing:
    def test_days(self):
        assert parse_days("mon,thu") == (1, 4)
        assert parse_days("Mon-Fri") == (1, 2, 3, 4, 5)
        assert parse_days("thursday, tue,tue") == (2, 4)
        for bad in ("", "funday", "fri-mon", "mo"):
            with pytest.raises(ScheduleError):
                parse_days(bad)

    def test_times(self):
        assert parse_time("10:00") == time(10, 0)
        assert parse_time("9.30") == time(9, 30)
        for bad in ("25:00", "10", "10:60", "ten"):
            with pytest.raises(ScheduleError):
                parse_time(bad)

    def test_quiet_hours_and_zone(self):
        assert parse_quiet_hours("20:00-08:00") == NIGHT
        assert parse_quiet_hours("off") is None
        with pytest.raises(ScheduleError):
            parse_quiet_hours("20:00")
        with pytest.raises(ScheduleError):
            parse_quiet_hours("08:00-08:00")
        assert parse_zone("Europe/Madrid") == "Europe/Madrid"
        with pytest.raises(ScheduleError):
            parse_zone("Mars/Olympus")

    def test_column_round_trip_drops_garbage(self):
        assert days_from_column("1,4") == (1, 4)
        assert days_from_column("4, 1,9,x") == (1, 4)
        assert days_from_column("") == ()
