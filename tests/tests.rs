//! Integration tests, in one binary so they share the harness in `util`.

use logward_testkit as util;

mod it;
