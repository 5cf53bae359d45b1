//! Slot computation: which start times can be booked, and with which workers or how many seats.
//! Pure: the caller loads schedules and existing bookings and passes them in.
//!
//! Schedules are local wall-clock hours in the merchant's time zone. Each working interval of a
//! local date is turned into UTC instants first (chrono-tz knows the zone's DST rules), then
//! stepped through in UTC. So a day with a DST change has 23 or 25 hours of slots, no start is
//! offered twice, and none falls in a skipped local hour.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use crate::merchants::fields::OpeningHours;

/// A span of time `[start, end)`.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// Hours off or extra hours on one local date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub date: NaiveDate,
    /// `true` for time off, `false` for extra hours.
    pub off: bool,
    /// Minutes since local midnight; `None` is the whole day (time off only).
    pub minutes: Option<(u32, u32)>,
}

/// When someone works: weekly hours and their exceptions.
#[derive(Debug, Clone, Default)]
pub struct Availability {
    pub weekly: OpeningHours,
    pub exceptions: Vec<Exception>,
}

/// Merges overlapping or touching intervals.
fn merge(mut intervals: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    intervals.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for (a, b) in intervals {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// `intervals` without `(a, b)`.
fn subtract(intervals: Vec<(u32, u32)>, (a, b): (u32, u32)) -> Vec<(u32, u32)> {
    intervals
        .into_iter()
        .flat_map(|(x, y)| {
            let mut parts = Vec::new();
            if x < a.min(y) {
                parts.push((x, a.min(y)));
            }
            if b.max(x) < y {
                parts.push((b.max(x), y));
            }
            parts
        })
        .collect()
}

impl Availability {
    /// Working intervals on a local date, in minutes since local midnight.
    pub fn on(&self, date: NaiveDate) -> Vec<(u32, u32)> {
        let weekday = usize::try_from(date.weekday().num_days_from_monday()).unwrap_or(0);
        let mut intervals = self.weekly.intervals(weekday);
        for ex in self.exceptions.iter().filter(|e| e.date == date) {
            intervals = match (ex.off, ex.minutes) {
                (true, None) => Vec::new(),
                (true, Some(range)) => subtract(intervals, range),
                (false, Some(range)) => {
                    intervals.push(range);
                    intervals
                }
                (false, None) => intervals,
            };
        }
        merge(intervals)
    }
}

/// The instant of a local date and minute (1440 is the next midnight). A local time skipped by
/// a DST change maps to the first instant after the gap; a repeated one to its first occurrence.
pub fn local_instant(tz: Tz, date: NaiveDate, minute: u32) -> Option<DateTime<Utc>> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    let mut local = midnight + Duration::minutes(i64::from(minute));
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return Some(t.with_timezone(&Utc));
        }
        local += Duration::minutes(30);
    }
    None
}

/// Which starts are wanted: inside `[from, to)` and within notice and horizon.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Now plus the minimum notice.
    pub earliest: DateTime<Utc>,
    /// Now plus the booking horizon.
    pub latest: DateTime<Utc>,
}

impl Window {
    fn admits(&self, start: DateTime<Utc>) -> bool {
        start >= self.from && start < self.to && start >= self.earliest && start <= self.latest
    }

    /// Local dates whose intervals can hold (or run on from) a start in the window.
    fn dates(&self, tz: Tz) -> impl Iterator<Item = NaiveDate> {
        let first = self
            .from
            .with_timezone(&tz)
            .date_naive()
            .pred_opt()
            .unwrap_or(NaiveDate::MIN);
        let last = self
            .to
            .with_timezone(&tz)
            .date_naive()
            .succ_opt()
            .unwrap_or(NaiveDate::MAX);
        first.iter_days().take_while(move |d| *d <= last)
    }
}

/// The shape of a visit.
#[derive(Debug, Clone, Copy)]
pub struct Visit {
    pub duration: Duration,
    /// Time after the visit the worker is not bookable (travel, tidying).
    pub buffer: Duration,
    /// Distance between offered start times.
    pub step: Duration,
}

/// One worker's availability and the time already taken.
#[derive(Debug, Clone)]
pub struct WorkerTime {
    pub id: Uuid,
    pub availability: Availability,
    /// Blocked ranges `[start, end)` of active bookings (buffers included).
    pub busy: Vec<Span>,
}

/// A bookable start and the workers free for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitSlot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub workers: Vec<Uuid>,
}

fn overlaps(a: Span, b: Span) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// A worker's working time around the window as UTC intervals; intervals that touch (a shift
/// ending at midnight and the next day's starting then) are merged, so a visit may span them.
fn working_time(
    tz: Tz,
    window: &Window,
    availability: &Availability,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut intervals: Vec<Span> = window
        .dates(tz)
        .flat_map(|date| {
            availability.on(date).into_iter().filter_map(move |(a, b)| {
                Some((local_instant(tz, date, a)?, local_instant(tz, date, b)?))
            })
        })
        .filter(|(a, b)| a < b)
        .collect();
    intervals.sort();
    let mut merged: Vec<Span> = Vec::new();
    for (a, b) in intervals {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// Starts within working hours where the whole visit fits and the visit plus its buffer does
/// not overlap anything the worker already has.
pub fn visit_slots(
    tz: Tz,
    window: &Window,
    visit: &Visit,
    workers: &[WorkerTime],
) -> Vec<VisitSlot> {
    let mut slots: BTreeMap<DateTime<Utc>, Vec<Uuid>> = BTreeMap::new();
    let step = visit.step.max(Duration::minutes(1));
    for worker in workers {
        for (open, close) in working_time(tz, window, &worker.availability) {
            let mut start = open;
            while start + visit.duration <= close && start < window.to {
                let blocked = (start, start + visit.duration + visit.buffer);
                if window.admits(start) && !worker.busy.iter().any(|b| overlaps(*b, blocked)) {
                    slots.entry(start).or_default().push(worker.id);
                }
                start += step;
            }
        }
    }
    slots
        .into_iter()
        .map(|(start, mut workers)| {
            workers.dedup();
            VisitSlot {
                start,
                end: start + visit.duration,
                workers,
            }
        })
        .collect()
}

/// An in-store seating and the seats still free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatSlot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub seats_left: i32,
}

/// Seatings of `duration` back to back from each opening of the merchant's hours.
pub fn seat_slots(
    tz: Tz,
    window: &Window,
    hours: &OpeningHours,
    duration: Duration,
    capacity: i32,
    taken: &BTreeMap<DateTime<Utc>, i32>,
) -> Vec<SeatSlot> {
    let availability = Availability {
        weekly: hours.clone(),
        exceptions: Vec::new(),
    };
    let visit = Visit {
        duration,
        buffer: Duration::zero(),
        step: duration,
    };
    let me = WorkerTime {
        id: Uuid::nil(),
        availability,
        busy: Vec::new(),
    };
    visit_slots(tz, window, &visit, &[me])
        .into_iter()
        .map(|s| SeatSlot {
            seats_left: capacity - taken.get(&s.start).copied().unwrap_or(0),
            start: s.start,
            end: s.end,
        })
        .filter(|s| s.seats_left > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    fn hours(json: serde_json::Value) -> OpeningHours {
        serde_json::from_value(json).unwrap()
    }

    fn open_window(from: DateTime<Utc>, days: i64) -> Window {
        Window {
            from,
            to: from + Duration::days(days),
            earliest: from,
            latest: from + Duration::days(days),
        }
    }

    fn worker(weekly: serde_json::Value) -> WorkerTime {
        WorkerTime {
            id: Uuid::from_u128(1),
            availability: Availability {
                weekly: hours(weekly),
                exceptions: vec![],
            },
            busy: vec![],
        }
    }

    fn hourly() -> Visit {
        Visit {
            duration: Duration::hours(1),
            buffer: Duration::zero(),
            step: Duration::hours(1),
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn shanghai_hours_map_to_utc_eight_hours_earlier() {
        let w = worker(serde_json::json!({"mon": [["09:00", "12:00"]]}));
        // 2026-11-23 is a Monday.
        let slots = visit_slots(
            chrono_tz::Asia::Shanghai,
            &open_window(utc("2026-11-22T16:00:00Z"), 1),
            &hourly(),
            &[w],
        );
        let starts: Vec<_> = slots.iter().map(|s| s.start).collect();
        assert_eq!(
            starts,
            [
                utc("2026-11-23T01:00:00Z"),
                utc("2026-11-23T02:00:00Z"),
                utc("2026-11-23T03:00:00Z")
            ]
        );
    }

    #[test]
    fn a_spring_forward_day_has_23_distinct_hours_and_none_in_the_gap() {
        // Europe/Berlin skips 02:00-03:00 on Sunday 2026-03-29.
        let tz = chrono_tz::Europe::Berlin;
        let w = worker(serde_json::json!({"sun": [["00:00", "24:00"]]}));
        let from = utc("2026-03-28T23:00:00Z"); // local midnight
        let slots = visit_slots(
            tz,
            &Window {
                to: utc("2026-03-29T22:00:00Z"),
                ..open_window(from, 2)
            },
            &hourly(),
            &[w],
        );
        assert_eq!(slots.len(), 23);
        assert!(slots.iter().all(|s| s.start.with_timezone(&tz).hour() != 2));
        let mut starts: Vec<_> = slots.iter().map(|s| s.start).collect();
        starts.dedup();
        assert_eq!(starts.len(), 23);
    }

    #[test]
    fn a_fall_back_day_has_25_distinct_hours() {
        // America/New_York repeats 01:00-02:00 on Sunday 2026-11-01.
        let tz = chrono_tz::America::New_York;
        let w = worker(serde_json::json!({"sun": [["00:00", "24:00"]]}));
        let from = utc("2026-11-01T04:00:00Z"); // local midnight, EDT
        let window = Window {
            to: utc("2026-11-02T05:00:00Z"),
            ..open_window(from, 2)
        };
        let slots = visit_slots(tz, &window, &hourly(), &[w]);
        assert_eq!(slots.len(), 25);
        let mut starts: Vec<_> = slots.iter().map(|s| s.start).collect();
        starts.dedup();
        assert_eq!(starts.len(), 25, "no instant is offered twice");
    }

    #[test]
    fn office_hours_keep_their_wall_clock_across_a_dst_change() {
        let tz = chrono_tz::Europe::Berlin;
        let w =
            worker(serde_json::json!({"sat": [["09:00", "11:00"]], "mon": [["09:00", "11:00"]]}));
        let slots = visit_slots(
            tz,
            &open_window(utc("2026-03-27T00:00:00Z"), 5),
            &hourly(),
            &[w],
        );
        let local: Vec<String> = slots
            .iter()
            .map(|s| s.start.with_timezone(&tz).format("%a %H:%M %z").to_string())
            .collect();
        assert_eq!(
            local,
            [
                "Sat 09:00 +0100",
                "Sat 10:00 +0100",
                "Mon 09:00 +0200",
                "Mon 10:00 +0200"
            ]
        );
    }

    #[test]
    fn busy_time_and_buffers_block_and_back_to_back_is_allowed() {
        let mut w = worker(serde_json::json!({"mon": [["09:00", "14:00"]]}));
        // A booking 10:00-11:00 local (02:00-03:00Z) with a 30-minute buffer after it.
        w.busy = vec![(utc("2026-11-23T02:00:00Z"), utc("2026-11-23T03:30:00Z"))];
        let visit = Visit {
            duration: Duration::hours(1),
            buffer: Duration::zero(),
            step: Duration::minutes(30),
        };
        let slots = visit_slots(
            chrono_tz::Asia::Shanghai,
            &open_window(utc("2026-11-22T16:00:00Z"), 1),
            &visit,
            &[w],
        );
        let local: Vec<String> = slots
            .iter()
            .map(|s| {
                s.start
                    .with_timezone(&chrono_tz::Asia::Shanghai)
                    .format("%H:%M")
                    .to_string()
            })
            .collect();
        // 09:00 ends exactly when the booking starts: allowed. 11:30 starts when its buffer ends.
        assert_eq!(local, ["09:00", "11:30", "12:00", "12:30", "13:00"]);
    }

    #[test]
    fn notice_horizon_and_exceptions() {
        let mut w =
            worker(serde_json::json!({"mon": [["09:00", "12:00"]], "tue": [["09:00", "12:00"]]}));
        w.availability.exceptions = vec![
            Exception {
                date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                off: true,
                minutes: Some((600, 660)),
            },
            Exception {
                date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                off: true,
                minutes: None,
            },
            Exception {
                date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                off: false,
                minutes: Some((1080, 1200)),
            },
        ];
        let from = utc("2026-11-22T16:00:00Z");
        let window = Window {
            earliest: utc("2026-11-23T01:30:00Z"),
            ..open_window(from, 3)
        };
        let slots = visit_slots(chrono_tz::Asia::Shanghai, &window, &hourly(), &[w]);
        let local: Vec<String> = slots
            .iter()
            .map(|s| {
                s.start
                    .with_timezone(&chrono_tz::Asia::Shanghai)
                    .format("%d %H:%M")
                    .to_string()
            })
            .collect();
        // Monday: 09:00 is inside the notice, 10:00-11:00 is off; Tuesday: only the extra evening.
        assert_eq!(local, ["23 11:00", "24 18:00", "24 19:00"]);
    }

    #[test]
    fn a_visit_may_run_past_midnight_when_the_next_day_starts_at_midnight() {
        let w =
            worker(serde_json::json!({"mon": [["20:00", "24:00"]], "tue": [["00:00", "02:00"]]}));
        let visit = Visit {
            duration: Duration::hours(3),
            buffer: Duration::zero(),
            step: Duration::hours(1),
        };
        let slots = visit_slots(
            chrono_tz::Asia::Shanghai,
            &open_window(utc("2026-11-22T16:00:00Z"), 2),
            &visit,
            &[w],
        );
        let local: Vec<String> = slots
            .iter()
            .map(|s| {
                s.start
                    .with_timezone(&chrono_tz::Asia::Shanghai)
                    .format("%a %H:%M")
                    .to_string()
            })
            .collect();
        assert_eq!(local, ["Mon 20:00", "Mon 21:00", "Mon 22:00", "Mon 23:00"]);
    }

    #[test]
    fn seatings_run_back_to_back_and_full_ones_disappear() {
        let h = hours(serde_json::json!({"mon": [["11:00", "14:00"]]}));
        let from = utc("2026-11-22T16:00:00Z");
        let mut taken = BTreeMap::new();
        taken.insert(utc("2026-11-23T03:00:00Z"), 1);
        taken.insert(utc("2026-11-23T04:30:00Z"), 4);
        // 11:00-12:30 and 12:30-14:00 local; the second is full.
        let slots = seat_slots(
            chrono_tz::Asia::Shanghai,
            &open_window(from, 1),
            &h,
            Duration::minutes(90),
            4,
            &taken,
        );
        assert_eq!(
            slots,
            [SeatSlot {
                start: utc("2026-11-23T03:00:00Z"),
                end: utc("2026-11-23T04:30:00Z"),
                seats_left: 3
            }]
        );
    }
}
