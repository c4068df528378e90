//! Fuzz target `diff`: see `classroom_tests::fuzz_targets::diff` for the input format.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| classroom_tests::fuzz_targets::diff(data));
