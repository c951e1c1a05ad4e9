//! Integration tests, in one binary so they share the harness in `util`.

mod util;

mod it;
