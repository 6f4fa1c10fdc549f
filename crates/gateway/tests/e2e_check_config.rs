//! `tandem check-config FILE` accepts the shipped examples and refuses a
//! broken file with its name, line and reason, exiting non-zero.

mod e2e;

use std::process::Command;

fn check(path: &std::path::Path) -> (bool, String) {
    let out = Command::new(e2e::tandem_bin())
        .arg("check-config")
        .arg(path)
        .output()
        .expect("run tandem");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn examples_pass_and_broken_files_name_file_line_and_reason() {
    let example = "examples/trunk-forward.toml";
    let (ok, text) = check(&e2e::repo_root().join(example));
    assert!(ok, "{example}: {text}");
    assert!(text.contains("ok"), "{text}");

    let dir = e2e::workdir("check_config");
    let cases = [
        // (file content, line, words the reason must contain)
        ("[sip]\nudp = [\"127.0.0.1:5060\"]\nbogus = 1\n", 3, "bogus"),
        ("[media]\naddress = \"not-an-ip\"\n", 2, "not an IP"),
        (
            "[[trunks]]\nname = \"a\"\naddress = \"127.0.0.1:5090\"\ncodecs = [\"PCMU\", \"G729\"]\n",
            4,
            "G729",
        ),
        (
            "[[trunks]]\nname = \"a\"\naddress = \"127.0.0.1:5090\"\n\n[[numbers]]\nnumber = \"5550100\"\nforward = { trunk = \"a\", to = \"+15550199\" }\n",
            6,
            "+",
        ),
        ("[sip]\nudp = [\"127.0.0.1:5060\"\n", 2, ""),
    ];
    for (i, (content, line, words)) in cases.iter().enumerate() {
        let path = dir.join(format!("bad{i}.toml"));
        std::fs::write(&path, content).unwrap();
        let (ok, text) = check(&path);
        assert!(!ok, "case {i} accepted:\n{content}");
        let want = format!("{}:{line}:", path.display());
        assert!(
            text.contains(&want),
            "case {i}: expected `{want}` in: {text}"
        );
        assert!(
            text.contains(words),
            "case {i}: expected `{words}` in: {text}"
        );
    }

    let (ok, text) = check(&dir.join("missing.toml"));
    assert!(!ok);
    assert!(
        text.contains("missing.toml") && text.contains("cannot read"),
        "{text}"
    );
}
