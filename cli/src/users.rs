//! Operating-system users by name and by id, through the C library's
//! `getpwnam_r`/`getpwuid_r`, so users from NSS (LDAP, systemd's dynamic
//! users) are found as `id` finds them; and who runs this command, as the
//! records it writes name them.

use std::ffi::{CStr, CString};

use serde_json::{Value, json};

/// The fields naming who runs this process, for the records the tool
/// writes on an operator's behalf (`logs_exported`, `logward emit`):
/// `os_user`, the name of the process's real user (`uid N` when it has
/// none), `os_uid` its id, and `sudo_user`, the `SUDO_USER` of the
/// environment when set, which says who ran `sudo` (the environment's
/// word, unlike the uid).
pub fn invoker_fields() -> Vec<(&'static str, Value)> {
    let uid = rustix::process::getuid().as_raw();
    let mut fields = vec![
        (
            "os_user",
            json!(name_of(uid).unwrap_or_else(|| format!("uid {uid}"))),
        ),
        ("os_uid", json!(uid)),
    ];
    if let Some(sudo_user) = std::env::var("SUDO_USER").ok().filter(|u| !u.is_empty()) {
        fields.push(("sudo_user", json!(sudo_user)));
    }
    fields
}

/// The buffer for one `passwd` entry's strings; grown when too small.
const BUFFER_START: usize = 1024;
/// The largest buffer tried before giving up.
const BUFFER_MAX: usize = 1 << 20;

/// The id of the user called `name`; `None` when there is no such user or
/// it cannot be looked up.
pub fn uid_of(name: &str) -> Option<u32> {
    let name = CString::new(name).ok()?;
    lookup(|pwd, buf, result| {
        // SAFETY: every pointer is valid for the call; `buf` is as long as
        // the length given.
        unsafe { libc::getpwnam_r(name.as_ptr(), pwd, buf.as_mut_ptr(), buf.len(), result) }
    })
    .map(|(uid, _)| uid)
}

/// The name of the user with id `uid`; `None` when there is none.
pub fn name_of(uid: u32) -> Option<String> {
    lookup(|pwd, buf, result| {
        // SAFETY: as in `uid_of`.
        unsafe { libc::getpwuid_r(uid, pwd, buf.as_mut_ptr(), buf.len(), result) }
    })
    .map(|(_, name)| name)
}

/// Runs one `getpw*_r` call, growing the buffer on `ERANGE`; yields the
/// entry's uid and name.
fn lookup(
    call: impl Fn(&mut libc::passwd, &mut [libc::c_char], &mut *mut libc::passwd) -> libc::c_int,
) -> Option<(u32, String)> {
    let mut len = BUFFER_START;
    loop {
        let mut buf: Vec<libc::c_char> = vec![0; len];
        // SAFETY: `passwd` is plain data; an all-zero value is valid and is
        // only read after the call filled it.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = call(&mut pwd, &mut buf, &mut result);
        if rc == libc::ERANGE && len < BUFFER_MAX {
            len *= 4;
            continue;
        }
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: on success `pw_name` points to a NUL-terminated string in
        // `buf`, which is still alive.
        let name = unsafe { CStr::from_ptr(pwd.pw_name) };
        return Some((pwd.pw_uid, name.to_string_lossy().into_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_nobody_are_found_both_ways() {
        assert_eq!(uid_of("root"), Some(0));
        assert_eq!(name_of(0).as_deref(), Some("root"));
        let nobody = uid_of("nobody").expect("nobody exists");
        assert_eq!(name_of(nobody).as_deref(), Some("nobody"));
    }

    #[test]
    fn unknown_users_are_none() {
        assert_eq!(uid_of("no-such-user-here"), None);
        assert_eq!(uid_of("nul\0inside"), None);
        assert_eq!(name_of(4_000_000_000), None);
    }
}
