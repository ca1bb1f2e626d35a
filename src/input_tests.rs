//! Unit tests of `input.rs`.

use super::*;
use serde_json::json;

#[test]
fn json_and_forms_read_the_same_field_the_same_way() {
    let json = JsonInput::from_value(json!({"name": " Rosa ", "empty": "", "none": null, "ids": [1, 2],
                                            "consents": {"sms": true}}))
    .unwrap();
    let form = FormInput::new(vec![
        ("name".into(), " Rosa ".into()),
        ("empty".into(), "".into()),
        ("ids".into(), "1".into()),
        ("ids".into(), "2".into()),
        ("consents.sms".into(), "on".into()),
    ]);
    for input in [&json as &dyn Input, &form] {
        assert_eq!(input.text("name"), Ok(Given::Text(" Rosa ".into())));
        assert_eq!(input.text("empty"), Ok(Given::Empty));
        assert_eq!(input.ids("ids"), Ok(Some(vec![1, 2])));
        assert_eq!(input.flag("consents.sms"), Ok(Some(true)));
    }
    assert_eq!(json.text("missing"), Ok(Given::Absent));
    assert_eq!(json.text("none"), Ok(Given::Empty));
    assert_eq!(
        form.flag("unticked"),
        Ok(Some(false)),
        "an unticked box is absent from a form"
    );
}

#[test]
fn wrong_json_types_are_refused_not_coerced() {
    let json = JsonInput::from_value(json!({"n": 5, "ids": [1, "2"], "neg": [-1], "flag": "true", "id": 1.5})).unwrap();
    assert_eq!(json.text("n"), Err(FieldError::new("n", "must_be_text")));
    assert_eq!(json.ids("ids"), Err(FieldError::new("ids", "must_be_id_list")));
    assert_eq!(json.ids("neg"), Err(FieldError::new("neg", "must_be_id_list")));
    assert_eq!(json.flag("flag"), Err(FieldError::new("flag", "must_be_boolean")));
    assert_eq!(json.id("id"), Err(FieldError::new("id", "must_be_id")));
    assert_eq!(
        json.unknown_fields(&["n", "ids", "neg", "flag"]),
        vec![FieldError::new("id", "unknown_field")]
    );
    assert!(JsonInput::from_value(json!([1])).is_err());
}

#[test]
fn dates_are_yyyy_mm_dd_exactly_between_1900_and_2100() {
    assert_eq!(
        parse_date(" 2026-02-03 "),
        Ok(chrono::NaiveDate::from_ymd_opt(2026, 2, 3).unwrap())
    );
    for bad in [
        "2026-2-3",
        "+2026-02-03",
        "+10000-01-01",
        "26-02-03",
        "2026/02/03",
        "2026-02-30",
        "20260203",
        "",
    ] {
        assert_eq!(parse_date(bad), Err("date_format"), "{bad:?}");
    }
    for far in ["1899-12-31", "2101-01-01", "0001-01-01", "9999-12-31"] {
        assert_eq!(parse_date(far), Err("date_range"), "{far:?}");
    }
    assert!(parse_date("1900-01-01").is_ok() && parse_date("2100-12-31").is_ok());
}
