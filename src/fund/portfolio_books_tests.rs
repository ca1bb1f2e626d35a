//! Unit tests of `portfolio_books.rs` (kept apart so the rules read in one screen): statuses on a past day, ratios.

use super::*;

#[test]
fn statuses_read_as_they_were_on_the_day() {
    let day = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
    // 2026-03-10 ends in Lima at 05:00 UTC the next day.
    let at = |d: u32, h: u32| {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    };
    let lent = [
        Lent {
            id: 1,
            written_off_on: None,
        },
        Lent {
            id: 2,
            written_off_on: None,
        },
        Lent {
            id: 3,
            written_off_on: Some(day),
        },
        Lent {
            id: 4,
            written_off_on: Some(day + chrono::Duration::days(1)),
        },
    ];
    let asked = |status: &str, created_at, decided_at| Asked {
        id: 0,
        status: status.into(),
        created_at,
        decided_at,
    };
    let asked = [
        asked("rejected", at(1, 12), Some(at(2, 12))),
        asked("disbursed", at(1, 12), Some(at(11, 4))),
        asked("cancelled", at(1, 12), Some(at(11, 6))),
        asked("requested", at(11, 4), None),
        asked("requested", at(11, 5), None),
    ];
    let outstanding = HashMap::from([(1, 0), (2, 500), (4, 0)]);
    let counts = statuses_on(lent.iter(), asked.iter(), &outstanding, day);
    let expected: HashMap<String, i64> = [
        ("repaid", 2),
        ("disbursed", 1),
        ("written_off", 1),
        ("rejected", 1),
        ("approved", 1),
        ("requested", 2),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(counts, expected);
}

#[test]
fn ratios_have_four_places() {
    assert_eq!(ratio(1, 3), "0.3333");
    assert_eq!(ratio(0, 0), "0.0000");
}
