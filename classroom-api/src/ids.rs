//! Typed ids (`RoomUuid`, `UserUuid`, `WidgetUuid`...), one per id schema of the spec, and the
//! check every id passes before a request is sent.
//!
//! An id is checked once, when it is made: 1 to 64 bytes of the documented character set (the
//! one tokens use, [`crate::token::is_id_char`]). Every operation takes its ids as
//! `impl TryInto<RoomUuid>`-style arguments, so a `&str` or a `String` still works (checked when
//! the call is made), and two ids of different kinds cannot be swapped once they are typed:
//!
//! ```no_run
//! # async fn example(client: &classroom_api::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use classroom_api::ids::{RoomUuid, UserUuid};
//!
//! let room: RoomUuid = "math-101".parse()?;
//! let user = UserUuid::new("student-7")?;
//! let profile = client.get_user(&room, &user).await?;
//! // client.get_user(&user, &room) does not compile.
//! # let _ = profile;
//! # Ok(())
//! # }
//! ```
//!
//! Swapped ids are a compile error:
//!
//! ```compile_fail,E0277
//! # async fn example(client: &classroom_api::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use classroom_api::ids::{RoomUuid, UserUuid};
//!
//! let room: RoomUuid = "math-101".parse()?;
//! let user: UserUuid = "student-7".parse()?;
//! client.get_user(&user, &room).await?;
//! # Ok(())
//! # }
//! ```
//! The alphabet is the one tokens use: [`crate::token::is_id_char`].
//! `.` and `..` are refused although both are made of that alphabet: in a path they are dot
//! segments, which URL normalisation removes (percent-encoded or not), so the request would reach
//! another resource (`kick_user(room, "..")` would be `POST .../rooms/{room}/exit`).

use crate::token::{ID_PUNCTUATION, is_id_char};

pub use crate::generated::ids::*;

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason}")]
pub struct IdError {
    field: &'static str,
    reason: String,
}

impl IdError {
    /// The id's field name in the spec (`roomUuid`).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// Why the value is refused.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The error of a call that was given this id.
    pub(crate) fn into_error(self, op: &'static crate::OperationInfo) -> crate::Error {
        crate::Error::InvalidInput {
            operation: op.id,
            field: self.field.to_owned(),
            reason: self.reason,
        }
    }
}

impl From<std::convert::Infallible> for IdError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// Checks `value` as an id of `field`.
pub(crate) fn check(field: &'static str, value: &str, max: usize) -> Result<(), IdError> {
    validate(field, value, max).map_err(|reason| IdError { field, reason })
}

/// Defines one typed id per `Name("field", max_len);` line (the generator writes the lines).
macro_rules! id_types {
    ($($name:ident($field:literal, $max:literal);)*) => {$(
        #[doc = concat!("A `", $field, "`: 1 to ", stringify!($max), " bytes of the documented id character set, checked once when made.")]
        ///
        /// Made with [`FromStr`](std::str::FromStr) (`"math-101".parse()`), `TryFrom<&str>`,
        /// `TryFrom<String>`, `new` or serde (checked while deserializing); shown with `Display`
        /// and `AsRef<str>`.
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The id's field name in the spec.
            pub const FIELD: &'static str = $field;
            /// The largest length, in bytes.
            pub const MAX_LEN: usize = $max;

            /// Checks `value` and makes the id.
            pub fn new(value: impl Into<String>) -> Result<Self, $crate::ids::IdError> {
                let value = value.into();
                $crate::ids::check($field, &value, $max)?;
                Ok($name(value))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::ids::IdError;
            fn try_from(value: &str) -> Result<Self, Self::Error> {
                $name::new(value)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::ids::IdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                $name::new(value)
            }
        }

        impl TryFrom<&String> for $name {
            type Error = $crate::ids::IdError;
            fn try_from(value: &String) -> Result<Self, Self::Error> {
                $name::new(value.as_str())
            }
        }

        impl From<&$name> for $name {
            fn from(value: &$name) -> Self {
                value.clone()
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ids::IdError;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                $name::new(value)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                $name::new(value).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

pub(crate) use id_types;

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
