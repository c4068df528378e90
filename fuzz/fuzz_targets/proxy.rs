//! Fuzz target `proxy`: see `classroom_tests::fuzz_targets::proxy` for the input format.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| classroom_tests::fuzz_targets::proxy(data));
