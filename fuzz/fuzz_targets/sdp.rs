#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tandem_sip::sdp::fuzz_sdp(data));
