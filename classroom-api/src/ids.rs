//! Checks of room, user, widget, resource and extApp ids before a request is sent.
//!
//! The alphabet is the one tokens use: [`crate::token::is_id_char`].
//! `.` and `..` are refused although both are made of that alphabet: in a path they are dot
//! segments, which URL normalisation removes (percent-encoded or not), so the request would reach
//! another resource (`kick_user(room, "..")` would be `POST .../rooms/{room}/exit`).

use crate::token::{ID_PUNCTUATION, is_id_char};

/// Checks an id: 1 to `max` bytes, each from the documented set. The error says why.
pub(crate) fn validate(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("`{field}` is empty"));
    }
    if value.len() > max {
        return Err(format!(
            "`{field}` is {} bytes long; at most {max} are allowed",
            value.len()
        ));
    }
    if value == "." || value == ".." {
        return Err(format!(
            "`{field}` is {value:?}, a dot segment: URL normalisation would remove it and send \
             the request to another resource"
        ));
    }
    if let Some(c) = value.chars().find(|c| !is_id_char(*c)) {
        return Err(format!(
            "`{field}` contains {c:?}, which is not in the documented id character set \
             (a-z, A-Z, 0-9, space and {ID_PUNCTUATION:?})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_has_89_characters() {
        let count = (0u8..=127)
            .map(char::from)
            .filter(|c| is_id_char(*c))
            .count();
        assert_eq!(count, 89);
    }

    #[test]
    fn rejects_with_a_reason() {
        assert!(validate("roomUuid", "a b#c?d", 64).is_ok());
        assert_eq!(
            validate("roomUuid", "", 64).unwrap_err(),
            "`roomUuid` is empty"
        );
        assert!(
            validate("roomUuid", &"a".repeat(65), 64)
                .unwrap_err()
                .contains("65 bytes")
        );
        assert!(validate("userUuid", "a/b", 64).unwrap_err().contains("'/'"));
        assert!(validate("userUuid", "é", 64).unwrap_err().contains("'é'"));
        for dots in [".", ".."] {
            let err = validate("userUuid", dots, 64).unwrap_err();
            assert!(err.contains("dot segment"), "{err}");
        }
        assert!(validate("userUuid", "...", 64).is_ok());
        assert!(validate("userUuid", ".a", 64).is_ok());
    }
}
