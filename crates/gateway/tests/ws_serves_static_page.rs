//! The HTTP listener serves the softphone page: `GET /phone` leads to the
//! `index.html` of `static_dir` (through a 308 to `/phone/`, so that the
//! page's relative links resolve under `/phone/`), `/phone/<file>` its other
//! files with their MIME types; unknown paths and paths escaping the
//! directory are 404.

mod http_daemon;

use http_daemon::{Daemon, http_get};

const INDEX: &str =
    "<!doctype html>\n<title>Tandem phone</title>\n<script src=\"app.js\"></script>\n";
const APP: &str = "console.log('tandem');\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_page_and_its_files_are_served() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("ws_serves_static_page-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), INDEX).unwrap();
    std::fs::write(dir.join("app.js"), APP).unwrap();
    // A file next to the served directory, which must stay unreachable.
    std::fs::write(dir.with_extension("secret"), "secret").unwrap();

    let daemon = Daemon::start(&dir).await;
    let http = daemon.http();

    // What a browser does with /phone: follow the redirect.
    let r = http_get(http, "/phone").await;
    assert_eq!(r.status, 308, "{r:?}");
    assert_eq!(r.header("location"), Some("/phone/"));
    let r = http_get(http, "/phone?user=alice").await;
    assert_eq!(r.status, 308, "{r:?}");
    assert_eq!(r.header("location"), Some("/phone/?user=alice"));

    for path in ["/phone/", "/phone/index.html", "/phone/?user=alice"] {
        let r = http_get(http, path).await;
        assert_eq!(r.status, 200, "{path}: {r:?}");
        assert_eq!(String::from_utf8_lossy(&r.body), INDEX, "{path}");
        assert!(
            r.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{path}: {r:?}"
        );
    }

    let r = http_get(http, "/phone/app.js").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(String::from_utf8_lossy(&r.body), APP);
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.contains("javascript")),
        "{r:?}"
    );

    let secret = format!(
        "/phone/../{}",
        dir.with_extension("secret")
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
    );
    for path in [
        "/phone/missing.js",
        "/",
        "/index.html",
        "/app.js",
        "/phonebook",
        secret.as_str(),
        "/phone/%2e%2e/Cargo.toml",
    ] {
        let r = http_get(http, path).await;
        assert_eq!(r.status, 404, "{path}: {r:?}");
        assert!(
            !String::from_utf8_lossy(&r.body).contains("secret"),
            "{path}"
        );
    }

    daemon.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(dir.with_extension("secret"));
}
