//! Building blocks for validated values shared by every service's domain: the
//! field-naming [`ValidationError`], uuid-backed ids ([`uuid_id!`](crate::uuid_id)) and
//! bounded text ([`text_value!`](crate::text_value)), so an invalid value cannot exist
//! past the edge and every service reports it the same way; and the places below a
//! community ([`Grid`], [`Building`]) that more than one service records.

/// A value refused at the edge; the shell maps it to INVALID_ARGUMENT naming `field`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {message}")]
pub struct ValidationError {
    /// The request field that holds the bad value.
    pub field: &'static str,
    /// What is wrong with it, lowercase, without the value itself.
    pub message: String,
}

impl ValidationError {
    /// Builds an error for `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Defines an aggregate id: a uuid newtype with `parse(field, &str)` (nil refused),
/// `from_uuid`, `as_uuid`, `stream_id()` ("<prefix>-<uuid>") and `Display`.
#[macro_export]
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name($crate::uuid::Uuid);

        impl $name {
            /// Parses a uuid in any form `uuid` accepts; the nil uuid is refused because
            /// it is what an unset protobuf field decodes to.
            pub fn parse(field: &'static str, input: &str) -> Result<Self, $crate::values::ValidationError> {
                let uuid = $crate::uuid::Uuid::parse_str(input.trim())
                    .map_err(|_| $crate::values::ValidationError::new(field, "must be a uuid"))?;
                if uuid.is_nil() {
                    return Err($crate::values::ValidationError::new(field, "must not be the nil uuid"));
                }
                Ok(Self(uuid))
            }

            /// Wraps an id the shell generated (e.g. a UUIDv7).
            pub fn from_uuid(uuid: $crate::uuid::Uuid) -> Self {
                Self(uuid)
            }

            /// The wrapped uuid.
            pub fn as_uuid(&self) -> $crate::uuid::Uuid {
                self.0
            }

            /// The event-store stream that holds this aggregate.
            pub fn stream_id(&self) -> String {
                format!(concat!($prefix, "-{}"), self.0.hyphenated())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }
    };
}

/// Trims `input` and checks its length in characters (not bytes: names are mostly CJK).
pub fn bounded_text(
    field: &'static str,
    input: &str,
    max: usize,
) -> Result<String, ValidationError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

/// An optional value: the empty string (proto3's unset) and blanks are `None`, anything
/// else must `parse`.
pub fn optional<T>(
    input: &str,
    parse: impl FnOnce(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    match input.trim() {
        "" => Ok(None),
        text => parse(text).map(Some),
    }
}

/// Accepts `value` (a day or an instant something happened) up to and including `now`,
/// the day or instant the command carries.
pub fn not_in_future<T: PartialOrd>(
    field: &'static str,
    value: T,
    now: T,
) -> Result<T, ValidationError> {
    if value > now {
        return Err(ValidationError::new(field, "must not be in the future"));
    }
    Ok(value)
}

/// Defines a trimmed, length-bounded text value with `parse(field, &str)` and
/// `as_str()`. Add `personal` to hide it from `Debug` and give it no `Display`.
#[macro_export]
macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident, max = $max:literal, personal) => {
        $crate::text_value!(@define $(#[$doc])* $name, $max);
        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(***)"))
            }
        }
    };
    ($(#[$doc:meta])* $name:ident, max = $max:literal) => {
        $crate::text_value!(@define $(#[$doc])* $name, $max);
        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
    (@define $(#[$doc:meta])* $name:ident, $max:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Trims the input; 1–", stringify!($max), " characters, no control characters.")]
            pub fn parse(field: &'static str, input: &str) -> Result<Self, $crate::values::ValidationError> {
                $crate::values::bounded_text(field, input, $max).map(Self)
            }

            /// The trimmed text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

text_value!(
    /// A grid (网格) within a community; organisational, not personal.
    Grid,
    max = 40
);
text_value!(
    /// A building (楼栋) within a community; organisational, not personal.
    Building,
    max = 40
);

/// Defines a closed set of category codes: an enum with `ALL`, a stable snake_case
/// `code()` (what storage, NATS payload readers and KPI element names use),
/// `from_code` and `Display`. Each code is written once, here, and every layer that
/// needs it (domain, wire conversions, projection rules) goes through the enum.
#[macro_export]
macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $code:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable snake_case code.
            pub const fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// The variant with this code, if any.
            pub fn from_code(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

#[cfg(test)]
mod code_enum_tests {
    crate::code_enum!(
        /// A test set.
        Colour {
            Red => "red",
            DeepBlue => "deep_blue",
        }
    );

    #[test]
    fn codes_round_trip() {
        for c in Colour::ALL {
            assert_eq!(Colour::from_code(c.code()), Some(*c));
        }
        assert_eq!(Colour::DeepBlue.to_string(), "deep_blue");
        assert_eq!(Colour::from_code("green"), None);
    }
}
