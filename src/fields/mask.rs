//! Masking of personal data shown to someone other than its owner (`138****5678`, `王**`, an
//! address without its unit or room). Every response that shows another person's phone, name or
//! address goes through here.

/// `13812345678` -> `138****5678`; short numbers keep only their last two digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() >= 8 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}****{tail}")
    } else {
        let tail: String = chars.iter().rev().take(2).rev().collect();
        format!("****{tail}")
    }
}

/// `王小明` -> `王**`: the first character only.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().max(1))),
        None => String::new(),
    }
}

/// The address down to the building number: everything after the first `号` (unit, floor,
/// room) is hidden; without a `号`, the trailing digits are.
pub fn mask_address(address: &str) -> String {
    if let Some(i) = address.find('号') {
        return format!("{}***", &address[..i + '号'.len_utf8()]);
    }
    let kept =
        address.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-' || c == ' ' || c == '#');
    format!("{kept}***")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_names_and_addresses_are_masked() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("02363123456"), "023****3456");
        assert_eq!(mask_phone("12345"), "****45");
        assert_eq!(mask_name("王小明"), "王**");
        assert_eq!(mask_name("李"), "李*");
        assert_eq!(
            mask_address("重庆市渝中区解放碑步行街88号3栋1201"),
            "重庆市渝中区解放碑步行街88号***"
        );
        assert_eq!(mask_address("Chaotianmen Road 12-3"), "Chaotianmen Road***");
    }
}
