#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tandem_sip::fuzzing::fuzz_sip_uri(data));
