//! Money is integers in fen everywhere; this is only how an amount reads to a person.

/// `12345` fen as `123.45` (yuan with two decimals), by integer arithmetic.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::yuan;

    #[test]
    fn fen_read_as_yuan() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(12_345), "123.45");
        assert_eq!(yuan(-250), "-2.50");
        assert_eq!(yuan(i64::MIN), "-92233720368547758.08");
    }
}
