//! The review page in a real browser: headless Chromium driven through ChromeDriver's WebDriver
//! protocol (on loopback). An editor pastes the shared example article with one quotation
//! altered, presses Check, and sees the quotations marked, the verdict counts, and, opening the
//! altered one from the keyboard, the registered and submitted words with the change marked. A
//! screenshot goes to `target/test-output/`. Skipped, saying so, without Chromium, ChromeDriver
//! or `../shared/examples`.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::harness::{Server, cli, http, http_within, shared_examples};

/// The longest one WebDriver command may take (starting the browser is the slowest).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The WebDriver key code of Enter.
const ENTER: &str = "\u{E007}";
/// What the element references of WebDriver's JSON are called.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// A ChromeDriver process and one browser session in it, ended when dropped.
struct Browser {
    driver: Child,
    address: SocketAddr,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start(chromium: &Path, chromedriver: &Path) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(address).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().expect("a profile folder");
        let mut browser = Browser {
            driver,
            address,
            session: String::new(),
            _profile: profile,
        };
        let created = browser.call(
            "POST",
            "/session",
            json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        "--disable-dev-shm-usage", "--window-size=1280,1400",
                        format!("--user-data-dir={}", browser._profile.path().display()),
                    ],
                },
            }}}),
        );
        browser.session = created["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        browser
    }

    /// One WebDriver command; panics with the driver's message on an error.
    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let path = if path.starts_with("/session/") || path == "/session" {
            path.to_owned()
        } else {
            format!("/session/{}{path}", self.session)
        };
        let body = if method == "GET" {
            String::new()
        } else {
            body.to_string()
        };
        let started = Instant::now();
        let (status, _, answer) = http_within(
            COMMAND_TIMEOUT,
            self.address,
            method,
            &path,
            &[("content-type", "application/json")],
            &body,
        );
        eprintln!("webdriver {method} {path}: {:.1?}", started.elapsed());
        let answer: Value = serde_json::from_str(&answer).expect("WebDriver answers JSON");
        assert_eq!(status, 200, "{method} {path}: {answer}");
        answer["value"].clone()
    }

    fn element(&self, css: &str) -> String {
        self.call(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        )[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_owned()
    }

    fn script(&self, source: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": source, "args": []}),
        )
    }

    /// Waits until `source` returns true.
    fn wait_for(&self, source: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.script(source) != Value::Bool(true) {
            assert!(
                Instant::now() < deadline,
                "waited 30 s for {what}; the page says: {}",
                self.script("return document.getElementById('status').textContent")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn screenshot(&self, to: &Path) {
        let encoded = self.call("GET", "/screenshot", Value::Null);
        let png = decode_base64(encoded.as_str().expect("base64 text"));
        assert!(png.starts_with(b"\x89PNG"), "a PNG image");
        std::fs::create_dir_all(to.parent().expect("a folder")).expect("the output folder");
        std::fs::write(to, png).expect("the screenshot is written");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ = std::panic::catch_unwind(|| http(self.address, "DELETE", &path, &[], ""));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Standard base64 (WebDriver's screenshots).
fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .map(value)
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, d) in chunk.iter().enumerate() {
            n |= u32::from(*d) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

#[tokio::test]
async fn an_editor_pastes_an_article_and_sees_the_altered_quotation_marked_with_its_change() {
    let (Some(chromium), Some(chromedriver)) = (
        find_program(&["chromium", "chromium-browser", "google-chrome"]),
        find_program(&["chromedriver"]),
    ) else {
        eprintln!(
            "skipped: Chromium and ChromeDriver are not installed (scripts/test installs Debian's \
             chromium and chromium-driver when it can)"
        );
        return;
    };
    let Some(examples) = shared_examples() else {
        return;
    };
    let server = Server::start_with(&["--http-listen", "127.0.0.1:0"]);
    let register = examples.join("regional-concerns-register.jsonl");
    let (code, _, stderr) = cli(
        &server.url(),
        &["import", register.to_str().expect("UTF-8 path")],
    );
    assert_eq!(code, 0, "{stderr}");
    let original = std::fs::read_to_string(examples.join("regional-concerns-article.txt"))
        .expect("the example article");
    // One quotation altered: its negation dropped.
    let article = original.replacen("has not changed", "has changed", 1);
    assert_ne!(
        article, original,
        "the example still holds the words to alter"
    );
    let page = server.announced("review page on ");

    let browser = tokio::task::spawn_blocking(move || {
        let browser = Browser::start(&chromium, &chromedriver);
        browser.call("POST", "/url", json!({"url": format!("http://{page}/")}));
        let textarea = browser.element("#article");
        browser.call(
            "POST",
            &format!("/element/{textarea}/value"),
            json!({"text": article}),
        );
        let typed = browser.script("return document.getElementById('article').value.length");
        assert_eq!(
            typed.as_u64(),
            Some(article.encode_utf16().count() as u64),
            "the whole article was pasted"
        );
        let check = browser.element("#check");
        browser.call("POST", &format!("/element/{check}/click"), json!({}));
        browser.wait_for(
            "return !document.getElementById('result').hidden && \
             document.getElementById('status').textContent.startsWith('Checked')",
            "the check's result",
        );
        browser
    })
    .await
    .expect("the browser steps do not panic");

    let counts = browser.script(
        "return Object.fromEntries([...document.querySelectorAll('#summary [data-count]')]\
         .map(d => [d.dataset.count, Number(d.querySelector('dd').textContent)]))",
    );
    assert_eq!(counts["verified"], 3, "{counts}");
    assert_eq!(counts["misquoted"], 1, "{counts}");
    assert_eq!(counts["too_short"], 2, "{counts}");
    assert_eq!(counts["unregistered"], 0, "{counts}");
    assert_eq!(counts["attribution_correct"], 4, "{counts}");
    let marks = browser.script(
        "return [...document.querySelectorAll('#marked mark.finding')].map(m => \
         ({verdict: m.dataset.verdict, attribution: m.dataset.attribution, text: m.textContent, \
           severity: [...m.classList].find(c => c.startsWith('sev-'))}))",
    );
    let marks = marks.as_array().expect("a list of marks");
    assert_eq!(marks.len(), 4, "{marks:?}");
    let verdicts: Vec<&str> = marks
        .iter()
        .map(|m| m["verdict"].as_str().expect("a verdict"))
        .collect();
    assert_eq!(
        verdicts,
        ["verified", "verified", "misquoted", "verified"],
        "{marks:?}"
    );
    assert!(
        marks.iter().all(|m| m["attribution"] == "correct"),
        "{marks:?}"
    );
    let altered = &marks[2];
    assert!(
        altered["text"]
            .as_str()
            .expect("text")
            .starts_with("Regional states assess"),
        "{altered}"
    );
    assert_eq!(
        altered["severity"], "sev-high",
        "a dropped negation is a serious change"
    );

    // From the keyboard: focus the altered quotation and press Enter.
    let mark = browser.element("#marked mark.v-misquoted");
    browser.call(
        "POST",
        &format!("/element/{mark}/value"),
        json!({"text": ENTER}),
    );
    browser.wait_for(
        "return !document.getElementById('detail').hidden",
        "the quotation's details",
    );
    let detail = browser.script(
        "const d = document.getElementById('detail'); return {\
         focused: d.contains(document.activeElement), \
         removed: [...d.querySelectorAll('.words.registered del')].map(e => e.textContent), \
         added: [...d.querySelectorAll('.words.submitted ins')].map(e => e.textContent), \
         submitted: d.querySelector('.words.submitted').textContent, \
         text: d.textContent}",
    );
    assert_eq!(
        detail["focused"], true,
        "focus moves to the details: {detail}"
    );
    assert_eq!(detail["removed"], json!(["not"]), "{detail}");
    assert_eq!(detail["added"], json!([]), "{detail}");
    assert!(
        detail["submitted"]
            .as_str()
            .expect("text")
            .contains("has changed"),
        "{detail}"
    );
    let text = detail["text"].as_str().expect("text");
    assert!(text.contains("a negation changed"), "{text}");
    assert!(text.contains("credited correctly"), "{text}");

    let output = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-output");
    browser.screenshot(&output.join("review-page.png"));

    // Readable at 200% zoom: nothing runs off the side.
    let overflow = browser.script(
        "document.body.style.zoom = '2'; \
         return document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    assert!(
        overflow.as_i64().is_some_and(|o| o <= 0),
        "overflow {overflow}"
    );
    browser.screenshot(&output.join("review-page-200-percent.png"));
    // Escape closes the details and gives the focus back to the mark.
    let body = browser.element("body");
    browser.call(
        "POST",
        &format!("/element/{body}/value"),
        json!({"text": "\u{E00C}"}),
    );
    assert_eq!(
        browser.script(
            "return document.getElementById('detail').hidden && \
             document.activeElement.matches('mark.v-misquoted')"
        ),
        true
    );
    drop(browser);
}
