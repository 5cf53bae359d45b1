//! Parsing of a merchant application's fields into types that cannot be wrong. Pure.

use std::collections::BTreeMap;

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::FieldError;

/// A unified social credit code (统一社会信用代码), checked with the GB 32100-2015 check character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditCode(String);

const CODE_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CODE_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

impl CreditCode {
    /// The check character for the first 17 characters, if they are all valid.
    pub fn check_char(first17: &str) -> Option<char> {
        let mut sum = 0;
        for (c, weight) in first17.chars().zip(CODE_WEIGHTS) {
            sum += u32::try_from(CODE_CHARS.find(c)?).ok()? * weight;
        }
        let check = (31 - sum % 31) % 31;
        CODE_CHARS.chars().nth(usize::try_from(check).ok()?)
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.chars().count() != 18 || !code.chars().all(|c| CODE_CHARS.contains(c)) {
            return Err(FieldError::new(
                field,
                "must be 18 characters of 0-9 and A-Y (no I, O, S, V, Z)",
            ));
        }
        let (body, check) = code.split_at(17);
        if Self::check_char(body).map(String::from).as_deref() != Some(check) {
            return Err(FieldError::new(field, "has a wrong check character"));
        }
        Ok(Self(code))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A business contact number: a mainland mobile, or a landline with its area code (023-6xxxxxxx).
pub fn contact_phone(field: &str, raw: &str) -> Result<String, FieldError> {
    let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = compact.strip_prefix("+86").unwrap_or(&compact);
    let all_digits = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit());
    let mobile = digits.len() == 11 && digits.starts_with('1');
    let landline = digits.starts_with('0') && (10..=12).contains(&digits.len());
    if all_digits && (mobile || landline) {
        Ok(digits.to_owned())
    } else {
        Err(FieldError::new(
            field,
            "must be a mobile number or a landline with its area code",
        ))
    }
}

/// An IANA time zone known to chrono-tz.
pub fn time_zone(field: &str, raw: &str) -> Result<chrono_tz::Tz, FieldError> {
    raw.parse()
        .map_err(|_| FieldError::new(field, "must be an IANA time zone such as Asia/Shanghai"))
}

/// Weekly opening hours in the merchant's local time: for each day (`mon`..`sun`) up to four
/// `["HH:MM", "HH:MM"]` intervals, ordered and not overlapping; `"24:00"` closes at midnight.
/// A day that is absent is closed. Overnight hours are split across the two days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OpeningHours(pub BTreeMap<String, Vec<[String; 2]>>);

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// What `OpeningHours::parse` takes as a time: two digits, a colon, two digits (`24:00` too).
pub const HH_MM_PATTERN: &str = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$";

/// Minutes since midnight of "HH:MM" written exactly so (`9:00` and ` 09:00` are not).
fn strict_minutes_of(raw: &str) -> Option<u32> {
    let b = raw.as_bytes();
    let shaped =
        b.len() == 5 && b[2] == b':' && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit());
    shaped.then(|| minutes_of(raw)).flatten()
}

/// Minutes since midnight of "HH:MM" (24:00 allowed as the end of the day).
pub fn minutes_of(raw: &str) -> Option<u32> {
    if raw == "24:00" {
        return Some(24 * 60);
    }
    let time = NaiveTime::parse_from_str(raw, "%H:%M").ok()?;
    Some(chrono::Timelike::hour(&time) * 60 + chrono::Timelike::minute(&time))
}

impl OpeningHours {
    pub fn parse(field: &str, hours: OpeningHours) -> Result<Self, FieldError> {
        for (day, intervals) in &hours.0 {
            let at = |m: &str| FieldError::new(format!("{field}.{day}"), m);
            if !WEEKDAYS.contains(&day.as_str()) {
                return Err(at("is not a weekday (mon..sun)"));
            }
            if intervals.len() > 4 {
                return Err(at("has more than four intervals"));
            }
            let mut last_end = 0;
            for [open, close] in intervals {
                let (Some(open), Some(close)) = (strict_minutes_of(open), strict_minutes_of(close))
                else {
                    return Err(at("times must be HH:MM"));
                };
                if open >= close {
                    return Err(at("each interval must open before it closes"));
                }
                if open < last_end {
                    return Err(at("intervals must be in order and not overlap"));
                }
                last_end = close;
            }
        }
        Ok(hours)
    }

    /// The open intervals of a weekday (0 = Monday) in minutes since local midnight.
    pub fn intervals(&self, weekday: usize) -> Vec<(u32, u32)> {
        WEEKDAYS
            .get(weekday)
            .and_then(|day| self.0.get(*day))
            .map(|list| {
                list.iter()
                    .filter_map(|[o, c]| Some((minutes_of(o)?, minutes_of(c)?)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The document states what `parse` takes: the seven day keys (no other), each at most four
/// intervals of two `HH:MM` times. Order and overlap are checked by `parse` (422).
impl utoipa::PartialSchema for OpeningHours {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Type};
        let time = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(HH_MM_PATTERN))
            .examples(["09:00"]);
        let interval = ArrayBuilder::new()
            .items(time)
            .min_items(Some(2))
            .max_items(Some(2))
            .description(Some("[opens, closes], opens before closes"));
        let day = ArrayBuilder::new()
            .items(interval)
            .max_items(Some(4))
            .description(Some(
                "In order, not overlapping; an empty list or no key: closed",
            ))
            .build();
        WEEKDAYS
            .iter()
            .fold(ObjectBuilder::new().schema_type(Type::Object), |o, d| {
                o.property(*d, day.clone())
            })
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .description(Some(
                "Weekly hours in the merchant's local time: for each day (`mon`..`sun`) up to \
                 four `[\"HH:MM\", \"HH:MM\"]` intervals, in order and not overlapping; \
                 `\"24:00\"` closes at midnight. A day that is absent is closed.",
            ))
            .examples([serde_json::json!({
                "mon": [["09:00", "12:00"], ["13:00", "18:00"]],
                "sat": [["10:00", "14:00"]]
            })])
            .into()
    }
}

impl utoipa::ToSchema for OpeningHours {}

/// An application document: an upload of purpose `licence_document`, attached to the merchant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentRef {
    /// `business_licence`, `food_permit`, `id_card`, `other`.
    pub kind: String,
    /// The id of the caller's upload (`POST /uploads?purpose=licence_document`).
    #[serde(rename = "ref")]
    pub reference: Uuid,
}

pub fn documents(field: &str, docs: Vec<DocumentRef>) -> Result<Vec<DocumentRef>, FieldError> {
    if docs.len() > 20 {
        return Err(FieldError::new(field, "at most 20 documents"));
    }
    for (i, doc) in docs.iter().enumerate() {
        if !["business_licence", "food_permit", "id_card", "other"].contains(&doc.kind.as_str()) {
            return Err(FieldError::new(
                format!("{field}[{i}].kind"),
                "must be business_licence, food_permit, id_card or other",
            ));
        }
        if docs[..i].iter().any(|d| d.reference == doc.reference) {
            return Err(FieldError::new(
                format!("{field}[{i}].ref"),
                "is listed twice",
            ));
        }
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_codes_are_checked_with_gb_32100() {
        // Published sample codes.
        for valid in [
            "91350100M000100Y43",
            "91110108551385082Q",
            "91440300708461136T",
        ] {
            assert!(CreditCode::parse("c", valid).is_ok(), "{valid}");
        }
        let err = CreditCode::parse("credit_code", "91350100M000100Y44").unwrap_err();
        assert_eq!(err.field, "credit_code");
        assert!(err.message.contains("check character"));
        assert!(CreditCode::parse("c", "91350100M000100Y4").is_err());
        assert!(
            CreditCode::parse("c", "91350100M00O100Y43").is_err(),
            "O is not a code character"
        );
        assert_eq!(
            CreditCode::parse("c", " 91350100m000100y43 ")
                .unwrap()
                .into_inner(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn contact_phones_accept_mobiles_and_landlines() {
        assert_eq!(contact_phone("p", "023-6312 3456").unwrap(), "02363123456");
        assert_eq!(
            contact_phone("p", "+86 13812345678").unwrap(),
            "13812345678"
        );
        assert!(contact_phone("p", "12345").is_err());
    }

    #[test]
    fn opening_hours_are_ordered_intervals() {
        let hours = |json: serde_json::Value| {
            OpeningHours::parse("opening_hours", serde_json::from_value(json).unwrap())
        };
        let ok =
            hours(serde_json::json!({"mon": [["09:00", "14:00"], ["17:00", "24:00"]]})).unwrap();
        assert_eq!(ok.intervals(0), vec![(540, 840), (1020, 1440)]);
        assert!(ok.intervals(6).is_empty());
        assert_eq!(
            hours(serde_json::json!({"funday": []})).unwrap_err().field,
            "opening_hours.funday"
        );
        assert!(hours(serde_json::json!({"mon": [["21:00", "09:00"]]})).is_err());
        assert!(
            hours(serde_json::json!({"mon": [["09:00", "14:00"], ["13:00", "18:00"]]})).is_err()
        );
        assert!(hours(serde_json::json!({"mon": [["9am", "5pm"]]})).is_err());
    }

    #[test]
    fn opening_hours_take_exactly_the_times_the_document_states() {
        let pattern = |t: &str| {
            let (hh, mm) = t.split_once(':').unwrap_or(("", ""));
            t == "24:00"
                || (hh.len() == 2 && mm.len() == 2 && hh < "24" && mm < "60")
                    && (hh.bytes().chain(mm.bytes())).all(|b| b.is_ascii_digit())
        };
        for t in [
            "00:00", "09:00", "23:59", "24:00", "9:00", "09:5", " 09:00", "09: 00", "24:01",
            "23:60", "0900", "09:00:00", "+9:00", "\t9:00", "",
        ] {
            assert_eq!(strict_minutes_of(t).is_some(), pattern(t), "{t:?}");
        }
        assert_eq!(HH_MM_PATTERN, "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$");
    }

    #[test]
    fn time_zones() {
        assert!(time_zone("tz", "Asia/Shanghai").is_ok());
        assert!(time_zone("tz", "Mars/Olympus").is_err());
    }
}
