//! Errors carry the op name and the offending shapes/values, because they end up as the
//! message of a JS `Error` and a user must be able to act on it without a debugger.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub op: &'static str,
    pub msg: String,
}

impl Error {
    pub fn new(op: &'static str, msg: impl Into<String>) -> Self {
        Error { op, msg: msg.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.op, self.msg)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// `bail!(op, "fmt", args..)` returns early with an [`Error`].
#[macro_export]
macro_rules! bail {
    ($op:expr, $($arg:tt)*) => {
        return Err($crate::Error::new($op, format!($($arg)*)))
    };
}
