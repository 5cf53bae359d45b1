//! Free text with bounds, and coordinates: the shapes many features parse. Pure.

use crate::error::FieldError;

/// Free text of `min..=max` characters: no control characters but the newline, and no whitespace
/// at either end (a client trims; the server does not change what it was sent). Exactly what
/// [`Text`] states in the OpenAPI document.
pub fn text(field: &str, raw: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let n = raw.chars().count();
    if n < min || n > max {
        return Err(FieldError::new(
            field,
            format!("must be {min} to {max} characters"),
        ));
    }
    if raw.chars().any(|c| c.is_control() && c != '\n') {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    if raw.trim() != raw {
        return Err(FieldError::new(
            field,
            "must not begin or end with whitespace",
        ));
    }
    Ok(raw.to_owned())
}

/// The OpenAPI form of [`text`]'s rule for a field of `MIN` to `MAX` characters, for
/// `#[schema(schema_with = Text::<1, 80>::schema)]` (or `::nullable` on an `Option`), so the
/// document states exactly what the server accepts.
pub struct Text<const MIN: usize, const MAX: usize>;

/// Control characters (Unicode `Cc`) except the newline: what [`text`] refuses.
const CONTROL: &str = r"\u0000-\u0009\u000B-\u001F\u007F-\u009F";
/// Control characters and Unicode `White_Space` (what `str::trim` removes): what text may not
/// begin or end with.
const EDGE: &str = r"\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

impl<const MIN: usize, const MAX: usize> Text<MIN, MAX> {
    fn pattern() -> String {
        let one = format!("[^{EDGE}]([^{CONTROL}]*[^{EDGE}])?");
        if MIN == 0 {
            format!("^({one})?$")
        } else {
            format!("^{one}$")
        }
    }

    fn build(nullable: bool) -> utoipa::openapi::Object {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(crate::http::openapi::string_type(nullable))
            .min_length(Some(MIN))
            .max_length(Some(MAX))
            .pattern(Some(Self::pattern()))
            .build()
    }

    pub fn schema() -> utoipa::openapi::Object {
        Self::build(false)
    }

    pub fn nullable() -> utoipa::openapi::Object {
        Self::build(true)
    }
}

/// A point on the map.
pub fn coordinates(lat: f64, lng: f64) -> Result<(f64, f64), FieldError> {
    if !(-90.0..=90.0).contains(&lat) || lat.is_nan() {
        return Err(FieldError::new("lat", "must be between -90 and 90"));
    }
    if !(-180.0..=180.0).contains(&lng) || lng.is_nan() {
        return Err(FieldError::new("lng", "must be between -180 and 180"));
    }
    Ok((lat, lng))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_checked_as_sent() {
        assert_eq!(text("t", "洗衣 店", 1, 10).unwrap(), "洗衣 店");
        assert_eq!(text("t", "a\nb", 1, 10).unwrap(), "a\nb");
        assert_eq!(text("t", "", 0, 10).unwrap(), "");
        for bad in [
            "",
            " a",
            "a ",
            "\u{3000}a",
            "a\tb",
            "a\u{85}b",
            "abcdefghijk",
            "   ",
        ] {
            assert!(text("t", bad, 1, 10).is_err(), "{bad:?}");
        }
        assert_eq!(
            Text::<1, 10>::pattern(),
            format!("^[^{EDGE}]([^{CONTROL}]*[^{EDGE}])?$")
        );
        assert!(Text::<0, 10>::pattern().ends_with(")?)?$"));
    }

    #[test]
    fn coordinates_are_on_the_map() {
        assert!(coordinates(29.56, 106.55).is_ok());
        assert_eq!(coordinates(91.0, 0.0).unwrap_err().field, "lat");
        assert_eq!(coordinates(0.0, f64::NAN).unwrap_err().field, "lng");
    }
}
