"""Time in the contract's terms: its time zone, its holiday calendar and its windows.

All arithmetic is on aware datetimes. Calendar periods (month, quarter, year) are cut in the
contract's time zone, so a March window in Berlin starts at 00:00 CET and ends at 00:00 CEST.
Business days skip weekends and the holidays of the contract's calendar (the `holidays`
package). Nothing here reads the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

import holidays

_MONTHS_PER = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class ContractTime:
    timezone: str
    calendar: str | None
    effective_from: date
    effective_until: date

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _years(self) -> range:
        return range(self.effective_from.year - 1, self.effective_until.year + 3)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase | None:
        """This contract's own holiday table, built only once a date outside `_years` is
        asked about: the table then grows by that year, as `holidays` does (`expand`)."""
        if not self.calendar:
            return None
        return holidays.country_holidays(self.calendar, years=self._years)

    @property
    def start(self) -> datetime:
        return self.midnight(self.effective_from)

    @property
    def end(self) -> datetime:
        """The contract ends at the end of its last day (the until date is inclusive)."""
        return self.midnight(self.effective_until + timedelta(days=1))

    def midnight(self, day: date) -> datetime:
        return _wall(datetime.combine(day, time(0)), self.zone)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def is_business_day(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        if not self.calendar:
            return True
        if day.year in self._years and "_holidays" not in self.__dict__:
            # Until a table of its own has grown, every contract on this calendar and these
            # years reads the same holidays: one shared, immutable set of dates.
            return day not in _holiday_dates(self.calendar, self._years.start, self._years.stop)
        table = self._holidays
        return table is None or day not in table

    def add(self, moment: datetime, amount: Decimal, unit: str) -> datetime:
        """`moment` plus a duration. Days and larger units keep the local wall-clock time."""
        local = self.local(moment)
        if unit == "minute":
            return moment + timedelta(seconds=int(amount * 60))
        if unit == "hour":
            return moment + timedelta(minutes=int(amount * 60))
        if unit in ("day", "week"):
            days = int(amount * (7 if unit == "week" else 1))
            return _wall(local.replace(tzinfo=None) + timedelta(days=days), self.zone)
        if unit == "business_day":
            return self.add_business_days(local, int(amount))
        months = int(amount * (12 if unit == "year" else 1))
        return _wall(add_months(local.replace(tzinfo=None), months), self.zone)

    def add_business_days(self, moment: datetime, count: int) -> datetime:
        """N business days after `moment`. From a time of day (an incident opened Thursday
        17:30) it is that time on the N-th business day after; from a midnight, which ends
        the day before (a window's end), it is the end of the N-th business day."""
        local = self.local(moment)
        day = local.date()
        at_midnight = local.time() == time(0)
        if at_midnight:
            day -= timedelta(days=1)
        while count > 0:
            day += timedelta(days=1)
            if self.is_business_day(day):
                count -= 1
        if at_midnight:
            return self.midnight(day + timedelta(days=1))
        return _wall(datetime.combine(day, local.time()), self.zone)

    def business_days_between(self, start: datetime, end: datetime) -> Decimal:
        """Business time from `start` to `end`, in days: each business day counts for the
        share of it that lies between the two moments (a whole day, or part of one)."""
        if end <= start:
            return Decimal(0)
        total = Decimal(0)
        first, last = self.local(start).date(), self.local(end).date()
        day = first
        while self.midnight(day) < end:
            if first < day < last:
                # The days strictly between lie wholly inside: each business day counts for
                # exactly one, added in the same order as a share would be.
                while day < last:
                    if self.is_business_day(day):
                        total += 1
                    day += timedelta(days=1)
                continue
            begin, finish = self.midnight(day), self.midnight(day + timedelta(days=1))
            if self.is_business_day(day):
                inside = min(end, finish) - max(start, begin)
                length = finish - begin  # 23 or 25 hours on a clock-change day
                if inside.total_seconds() > 0:
                    total += Decimal(int(inside.total_seconds())) / int(length.total_seconds())
            day += timedelta(days=1)
        return total

    # ------------------------------------------------------------ calendar periods

    def period_start(self, moment: datetime, period: str) -> datetime:
        local = self.local(moment)
        if period == "day":
            return self.midnight(local.date())
        if period == "week":
            return self.midnight(local.date() - timedelta(days=local.weekday()))
        months = _MONTHS_PER[period]
        month = (local.month - 1) // months * months + 1
        return self.midnight(date(local.year, month, 1))

    def period_end(self, start: datetime, period: str) -> datetime:
        if period == "day":
            return self.add(start, Decimal(1), "day")
        if period == "week":
            return self.add(start, Decimal(7), "day")
        return self.add(start, Decimal(_MONTHS_PER[period]), "month")

    def contract_year_start(self, moment: datetime) -> datetime:
        start = self.start
        years = 0
        while self.add(start, Decimal(years + 1), "year") <= moment:
            years += 1
        return self.add(start, Decimal(years), "year")


@lru_cache(maxsize=256)
def _holiday_dates(calendar: str, first: int, stop: int) -> frozenset[date]:
    """The holidays of a calendar over years `first` to `stop` (exclusive), built once per
    process: building them costs about as much as a whole contract's ingest."""
    return frozenset(holidays.country_holidays(calendar, years=range(first, stop)))


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months; the 31st plus one month is the last day of the next month."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {moment}")


def _wall(naive: datetime, zone: ZoneInfo) -> datetime:
    """A local wall-clock time in `zone`, returned in UTC. Every moment the runtime keeps is
    in UTC: Python subtracts two datetimes of the same zone by wall clock, which would make a
    March in Berlin 744 hours long instead of 743."""
    return naive.replace(tzinfo=zone).astimezone(UTC)
