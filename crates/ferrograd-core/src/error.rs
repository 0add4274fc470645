//! Errors carry the op name and the offending shapes/values, because they end up as the
//! message of a JS `RangeError` and a user must be able to act on it without a debugger.

use std::fmt;

/// What went wrong. Both reach JS as a `RangeError` (the TS layer has already checked types, so a
/// refused value is out of range: shapes that do not fit, or memory that cannot be served, as JS
/// itself throws for an `ArrayBuffer` too large); the kind tells the two apart in Rust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Invalid,
    OutOfMemory,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub op: &'static str,
    pub msg: String,
    pub kind: ErrorKind,
}

impl Error {
    pub fn new(op: &'static str, msg: impl Into<String>) -> Self {
        Error { op, msg: msg.into(), kind: ErrorKind::Invalid }
    }

    /// `op` needed `bytes` more than the memory can give, with `live` bytes held by tensors.
    pub fn out_of_memory(op: &'static str, bytes: u64, live: u64, limit: &str) -> Self {
        Error {
            op,
            msg: format!(
                "out of memory: it needs {} more ({bytes} bytes) while tensors hold {} ({live} bytes){limit}; free tensors (a scope per step), or use a smaller batch",
                human(bytes),
                human(live)
            ),
            kind: ErrorKind::OutOfMemory,
        }
    }

    /// The same error with its message rewritten (the kind is kept).
    pub fn map_msg(self, f: impl FnOnce(String) -> String) -> Self {
        Error { msg: f(self.msg), ..self }
    }
}

/// Bytes as MiB or GiB with two decimals.
fn human(b: u64) -> String {
    let b = b as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.2} GiB", b / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", b / (1u64 << 20) as f64)
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
