//! A headless Chromium driven through ChromeDriver's W3C WebDriver protocol, for the
//! dashboard's browser tests: open a page, find elements by CSS selector, type, click,
//! read text, run a script, take a screenshot. The protocol is plain JSON over HTTP/1.1
//! on 127.0.0.1, spoken here directly rather than through a client crate.
//!
//! The browser is Debian's `chromium` with `chromium-driver` (`/usr/bin/chromium`,
//! `/usr/bin/chromedriver`; `CHROMIUM_BIN` and `CHROMEDRIVER_BIN` point elsewhere).
//! When they are missing the test fails saying how to install them: a browser test never
//! skips silently. Chromium starts with a fresh profile and without any background
//! networking (this machine's network is closed).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// The W3C key of an element reference in WebDriver answers.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One headless Chromium session behind its own ChromeDriver process.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

/// An element of the current page.
#[derive(Clone, Debug)]
pub struct Element(String);

fn binary(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

impl Browser {
    /// Starts ChromeDriver on a free port and a headless Chromium session in it.
    pub async fn start() -> Browser {
        let chromium = binary("CHROMIUM_BIN", "/usr/bin/chromium");
        let driver_bin = binary("CHROMEDRIVER_BIN", "/usr/bin/chromedriver");
        for (path, what) in [(&chromium, "chromium"), (&driver_bin, "chromedriver")] {
            assert!(
                path.exists(),
                "browser tests need {what} at {}: install Debian's chromium and \
                 chromium-driver (apt-get install chromium chromium-driver; .ci/run does), \
                 or point CHROMIUM_BIN / CHROMEDRIVER_BIN at them",
                path.display()
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("failed to start {}: {e}", driver_bin.display()));
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut browser = Browser {
            driver,
            port,
            session: String::new(),
            _profile: profile,
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen on port {port} within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,1000",
            "--lang=zh-CN",
        ];
        let mut args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!(
            "--user-data-dir={}",
            browser._profile.path().display()
        ));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let answer = browser.call("POST", "/session", Some(capabilities)).await;
        browser.session = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session in {answer}"))
            .to_owned();
        browser
    }

    /// Opens `url` and waits for it to load.
    pub async fn goto(&self, url: &str) {
        self.session_call("POST", "/url", json!({ "url": url }))
            .await;
    }

    /// The current page's URL.
    pub async fn url(&self) -> String {
        self.session_get("/url")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The current page's HTML.
    pub async fn source(&self) -> String {
        self.session_get("/source")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The first element matching `css`, if any.
    pub async fn try_find(&self, css: &str) -> Option<Element> {
        self.find_all(css).await.into_iter().next()
    }

    /// The first element matching `css`; panics naming the selector and the page.
    pub async fn find(&self, css: &str) -> Element {
        match self.try_find(css).await {
            Some(e) => e,
            None => panic!("no element {css} on {}", self.url().await),
        }
    }

    /// Every element matching `css`.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let body = json!({"using": "css selector", "value": css});
        let found = self.session_call("POST", "/elements", body).await;
        found
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|e| e[ELEMENT_KEY].as_str().map(|id| Element(id.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Clicks the element.
    pub async fn click(&self, e: &Element) {
        self.session_call("POST", &format!("/element/{}/click", e.0), json!({}))
            .await;
    }

    /// Types `text` into the element.
    pub async fn type_into(&self, e: &Element, text: &str) {
        let body = json!({ "text": text });
        self.session_call("POST", &format!("/element/{}/value", e.0), body)
            .await;
    }

    /// The element's rendered text.
    pub async fn text(&self, e: &Element) -> String {
        let text = self.session_get(&format!("/element/{}/text", e.0)).await;
        text.as_str().unwrap_or_default().to_owned()
    }

    /// The element's attribute `name`, if set.
    pub async fn attribute(&self, e: &Element, name: &str) -> Option<String> {
        let value = self
            .session_get(&format!("/element/{}/attribute/{name}", e.0))
            .await;
        value.as_str().map(str::to_owned)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        let body = json!({ "script": script, "args": args });
        self.session_call("POST", "/execute/sync", body).await
    }

    /// Runs `script`, which calls `arguments[arguments.length - 1]` with its result.
    pub async fn execute_async(&self, script: &str) -> Value {
        let body = json!({ "script": script, "args": [] });
        self.session_call("POST", "/execute/async", body).await
    }

    /// Waits up to 10 s for `check` to hold on the page; panics with `what` if it never does.
    pub async fn wait_for(&self, what: &str, script_returning_bool: &str) {
        let started = Instant::now();
        loop {
            if self.execute(script_returning_bool, vec![]).await == Value::Bool(true) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "waited 10 s for {what} on {}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Forgets every cookie of the current site (a fresh visitor).
    pub async fn delete_cookies(&self) {
        self.call("DELETE", &format!("/session/{}/cookie", self.session), None)
            .await;
    }

    /// Writes a PNG of the viewport to `path`, creating its directory.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.session_get("/screenshot").await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("a base64 screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("the screenshot directory");
        }
        std::fs::write(path, bytes).expect("write the screenshot");
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) {
        let session = std::mem::take(&mut self.session);
        self.call("DELETE", &format!("/session/{session}"), None)
            .await;
        let _ = self.driver.kill().await;
    }

    async fn session_get(&self, path: &str) -> Value {
        let path = format!("/session/{}{path}", self.session);
        self.call("GET", &path, None).await
    }

    async fn session_call(&self, method: &str, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.session);
        self.call(method, &path, Some(body)).await
    }

    /// One WebDriver command; its `value`, or a panic with the driver's error. A
    /// command unanswered in 30 s is a failure naming it, never a hung test.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let patience = Duration::from_secs(30);
        match tokio::time::timeout(patience, self.exchange(method, path, body)).await {
            Ok(value) => value,
            Err(_) => panic!("{method} {path}: chromedriver did not answer in 30 s"),
        }
    }

    async fn exchange(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
             Content-Length: {len}\r\nConnection: close\r\n\r\n{body}",
            port = self.port,
            len = body.len()
        );
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect to chromedriver");
        stream.write_all(request.as_bytes()).await.expect("send");
        // Read the answer by its length: the driver may keep the connection open.
        let mut answer = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        let (head, body) = loop {
            let n = stream.read(&mut buf).await.expect("receive");
            answer.extend_from_slice(&buf[..n]);
            if let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
                let raw = &answer[split + 4..];
                let length = head.lines().find_map(|l| {
                    l.strip_prefix("content-length:")
                        .and_then(|v| v.trim().parse::<usize>().ok())
                });
                let complete = match length {
                    Some(length) => raw.len() >= length,
                    None if head.contains("transfer-encoding: chunked") => {
                        raw.ends_with(b"0\r\n\r\n")
                    }
                    None => n == 0,
                };
                if complete || n == 0 {
                    let body = match length {
                        Some(length) => raw[..length.min(raw.len())].to_vec(),
                        None if head.contains("transfer-encoding: chunked") => dechunk(raw),
                        None => raw.to_vec(),
                    };
                    break (head, body);
                }
            }
            assert!(
                n > 0,
                "{method} {path}: chromedriver closed the connection early"
            );
        };
        let body = String::from_utf8_lossy(&body);
        let json: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {head}\n{body}"));
        if let Some(error) = json["value"]["error"].as_str() {
            panic!(
                "{method} {path}: {error}: {}",
                json["value"]["message"].as_str().unwrap_or_default()
            );
        }
        json["value"].clone()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.start_kill();
    }
}

/// The body of a chunked HTTP/1.1 answer.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let rest = &body[end + 2..];
        match size {
            Some(size) if size > 0 && rest.len() >= size => {
                out.extend_from_slice(&rest[..size]);
                body = rest[size..].strip_prefix(b"\r\n").unwrap_or(&rest[size..]);
            }
            _ => break,
        }
    }
    out
}
