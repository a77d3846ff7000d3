//! A real Chromium (Debian's, headless) driven through its ChromeDriver with fantoccini.
//! Each test starts its own chromedriver on a free port and stops it when the browser is
//! dropped; screenshots go to `target/portal-screenshots/<test>/`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// axe-core's source, installed from npm by `scripts/axe/install.sh` (once per test binary).
fn axe_source() -> &'static str {
    static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    AXE.get_or_init(|| {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/axe/install.sh");
        let out = Command::new("bash")
            .arg(script)
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(out.status.success(), "installing axe-core failed");
        let path = String::from_utf8(out.stdout).unwrap();
        std::fs::read_to_string(path.trim()).unwrap()
    })
}

/// Phone and desktop widths every page is looked at in.
pub const WIDTHS: [(u32, &str); 2] = [(1280, "desktop"), (390, "phone")];

/// A browser session and the chromedriver behind it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    shots: PathBuf,
    /// Chromium's profile directory, deleted with the browser.
    _profile: tempfile::TempDir,
}

/// `POST /session/{id}/se/log`: ChromeDriver's browser console log since the last call.
#[derive(Debug)]
struct ConsoleLog;

impl WebDriverCompatibleCommand for ConsoleLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium for the test `name`.
    pub async fn start(name: &str) -> Self {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver; `make deps` installs it)");
        let url = format!("http://127.0.0.1:{port}");
        let probe = reqwest::Client::new();
        for _ in 0..100 {
            if probe.get(format!("{url}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let caps = caps.as_object().unwrap().clone();
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("a Chromium session");
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/portal-screenshots")
            .join(name);
        std::fs::create_dir_all(&shots).unwrap();
        Self {
            client,
            driver,
            shots,
            _profile: profile,
        }
    }

    /// Opens `url` and waits for the page.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// The current path.
    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Waits until the address bar shows `path` (after a click that navigates).
    pub async fn wait_path(&self, path: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.path().await;
            if now == path {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "at {now}, not {path}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The element at `css`, waited for.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
    }

    /// The text of the element at `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Clicks the element at `css`.
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Replaces the value of the field named `name`.
    pub async fn fill(&self, name: &str, value: &str) {
        let field = self.find(&format!("[name=\"{name}\"]")).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Waits until the element at `css` has `attr` = `value` (e.g. `data-state`).
    pub async fn wait_attr(&self, css: &str, attr: &str, value: &str, within: Duration) {
        let deadline = std::time::Instant::now() + within;
        loop {
            let got = match self.client.find(Locator::Css(css)).await {
                Ok(e) => e.attr(attr).await.unwrap_or_default(),
                Err(_) => None,
            };
            if got.as_deref() == Some(value) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{css}[{attr}] is {got:?}, not {value:?}, after {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The page's `<title>`.
    pub async fn title(&self) -> String {
        self.client.title().await.unwrap()
    }

    /// Severe console entries since the last call (JavaScript errors, CSP violations, failed
    /// loads).
    pub async fn console_errors(&self) -> Vec<String> {
        let log: Value = self.client.issue_cmd(ConsoleLog).await.unwrap();
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Asserts the page logged no error (an error page's own 4xx status is its point, not
    /// an error), then saves it as `<name>-desktop.png` and
    /// `<name>-phone.png`, each as tall as the page.
    pub async fn look(&self, name: &str) {
        let here = self.client.current_url().await.unwrap().to_string();
        let errors: Vec<String> = self
            .console_errors()
            .await
            .into_iter()
            .filter(|e| {
                !(e.starts_with(&here) && e.contains("the server responded with a status of 4"))
            })
            .collect();
        assert!(errors.is_empty(), "console errors on {name}: {errors:?}");
        let violations = self.accessibility_violations().await;
        assert!(
            violations.is_empty(),
            "accessibility (WCAG 2 AA) on {name}: {violations:#?}"
        );
        for (width, label) in WIDTHS {
            self.client.set_window_size(width, 900).await.unwrap();
            let height = self
                .client
                .execute(
                    "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight",
                    vec![],
                )
                .await
                .unwrap()
                .as_u64()
                .unwrap_or(900);
            let height = u32::try_from(height).unwrap_or(900).clamp(600, 6000);
            self.client.set_window_size(width, height).await.unwrap();
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(self.shots.join(format!("{name}-{label}.png")), png).unwrap();
        }
        self.client.set_window_size(1280, 900).await.unwrap();
    }

    /// axe-core's serious and critical WCAG 2 A/AA violations on the current page, as
    /// `rule: target…` lines. axe is injected through WebDriver (the page's CSP does not
    /// apply to it), never served by the portal.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let run = format!(
            "{}\nconst done = arguments[arguments.length - 1];\n\
             axe.run(document, {{ runOnly: {{ type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }} }})\n\
               .then(r => done({{ engine: r.testEngine.name, passes: r.passes.length,\n\
                 violations: r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\n\
                 .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')) }}))\n\
               .catch(e => done({{ engine: 'failed: ' + e }}));",
            axe_source()
        );
        let found = self.client.execute_async(&run, vec![]).await.unwrap();
        assert_eq!(found["engine"], "axe-core", "axe did not run: {found}");
        assert!(
            found["passes"].as_u64().unwrap_or(0) >= 5,
            "axe checked nothing: {found}"
        );
        found["violations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    }

    /// Ends the session and the driver.
    pub async fn stop(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
