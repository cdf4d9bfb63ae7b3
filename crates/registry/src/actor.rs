//! Who is acting and why: every operation names its user, and reads of patient data a reason.

use crate::error::{Error, Result};

/// The user behind an operation and the reason given for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    user: String,
    reason: Option<String>,
}

/// Longest user name accepted.
const MAX_USER: usize = 128;
/// Longest reason accepted.
const MAX_REASON: usize = 1000;

impl Actor {
    /// An actor; the user name must be 1 to 128 printable characters and the reason, when given,
    /// 1 to 1000 printable characters (blank means none).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming what is wrong.
    pub fn new(user: &str, reason: Option<&str>) -> Result<Actor> {
        let user = user.trim();
        if user.is_empty() || user.chars().count() > MAX_USER || user.chars().any(char::is_control)
        {
            return Err(Error::Invalid(format!(
                "user: {user:?} is not a user name (1 to {MAX_USER} printable characters)"
            )));
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = reason
            && (r.chars().count() > MAX_REASON || r.chars().any(|c| c.is_control() && c != '\t'))
        {
            return Err(Error::Invalid(format!(
                "reason: at most {MAX_REASON} printable characters on one line"
            )));
        }
        Ok(Actor {
            user: user.to_string(),
            reason: reason.map(str::to_string),
        })
    }

    /// The user name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The reason, if one was given.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// The reason, required for reading patient data.
    pub(crate) fn read_reason(&self) -> Result<&str> {
        self.reason().ok_or(Error::ReasonRequired)
    }
}

/// The operating-system user running this process: `USER`, `LOGNAME` or `USERNAME`, else (on
/// Unix) the name of the process's user id in `/etc/passwd`, else `uid N`.
pub fn os_user() -> Option<String> {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
        .or_else(unix_user)
}

#[cfg(unix)]
fn unix_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let id = f.nth(1)?;
        (id.parse::<u32>().ok()? == uid && !name.is_empty()).then(|| name.to_string())
    });
    Some(name.unwrap_or_else(|| format!("uid {uid}")))
}

#[cfg(not(unix))]
fn unix_user() -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(Actor::new("alice", None).is_ok());
        assert!(Actor::new("  ", None).is_err());
        assert!(Actor::new("a\nb", None).is_err());
        let a = Actor::new("alice", Some("   ")).unwrap();
        assert!(matches!(a.read_reason(), Err(Error::ReasonRequired)));
        let a = Actor::new("alice", Some("tumour board")).unwrap();
        assert_eq!(a.read_reason().unwrap(), "tumour board");
    }
}
