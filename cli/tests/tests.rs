//! The tool's integration tests, in one binary: the `logward` command as a
//! real process, and the bundle library it is built on.

use logward_testkit as util;

mod it;
