//! Salesforce record ids: a 3-character key prefix, a 12-character body, and the
//! 3-character case-safe suffix that turns a 15-character id into an 18-character one.

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SUFFIX_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// The case-safe checksum Salesforce appends to a 15-character id: for each 5-character
/// chunk, a bit per upper-case letter (first character = lowest bit) picks one of 32 characters.
pub fn case_safe_suffix(id15: &str) -> String {
    id15.as_bytes()
        .chunks(5)
        .take(3)
        .map(|chunk| {
            let bits = chunk
                .iter()
                .enumerate()
                .filter(|(_, c)| c.is_ascii_uppercase())
                .fold(0usize, |acc, (i, _)| acc | (1 << i));
            SUFFIX_ALPHABET[bits] as char
        })
        .collect()
}

/// Extends a 15-character id to its 18-character case-safe form; other lengths are returned as is.
pub fn to_18(id: &str) -> String {
    if id.len() == 15 && id.is_ascii() {
        format!("{id}{}", case_safe_suffix(id))
    } else {
        id.to_string()
    }
}

/// Normalises a 15- or 18-character id to the 18-character form, or `None` if malformed.
pub fn normalise(id: &str) -> Option<String> {
    if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    match id.len() {
        15 => Some(to_18(id)),
        18 => {
            let expected = to_18(&id[..15]);
            (expected == id).then(|| id.to_string())
        }
        _ => None,
    }
}

/// Builds an 18-character id from a key prefix and a sequence number.
/// Layout: prefix (3) + pod "5g" (2) + reserved "0" (1) + base-62 counter (9) + suffix (3).
pub fn make_id(prefix: &str, sequence: u64) -> String {
    let mut counter = [b'0'; 9];
    let mut n = sequence;
    for slot in counter.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    let id15 = format!("{prefix}5g0{}", String::from_utf8_lossy(&counter));
    to_18(&id15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_salesforce_id_gets_its_documented_suffix() {
        // 001D000000IqhSL -> 001D000000IqhSLIAZ appears in Salesforce's REST documentation.
        assert_eq!(to_18("001D000000IqhSL"), "001D000000IqhSLIAZ");
    }

    #[test]
    fn made_ids_are_18_characters_with_the_prefix_and_a_valid_suffix() {
        let id = make_id("003", 123_456);
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("003"));
        assert_eq!(normalise(&id[..15]).as_deref(), Some(id.as_str()));
    }

    #[test]
    fn an_18_character_id_with_a_wrong_suffix_is_rejected() {
        assert_eq!(normalise("001D000000IqhSLAAA"), None);
        assert_eq!(normalise("001D000000IqhSL!"), None);
    }
}
