//! Portal links over the API, and a session driven without a browser for the checks a
//! browser would not let us make (a post without its CSRF token, from another origin).

use serde_json::{Value, json};

use crate::support::TestApp;

/// A one-time portal link for `account` from the platform's service key.
pub async fn link(app: &TestApp, account: &str, flow: Option<Value>) -> String {
    let mut body = json!({ "account_id": account, "return_url": "https://app.example/settings" });
    if let Some(f) = flow {
        body["flow"] = f;
    }
    let r = app
        .post(&app.service, "/v1/portal/sessions", body)
        .await
        .expect(201);
    assert_eq!(r.body["object"], "portal_link");
    assert!(r.body["expires_at"].is_string());
    r.body["url"].as_str().unwrap().to_owned()
}

/// A portal session held by a plain HTTP client: its cookie and the CSRF token of its forms.
pub struct RawSession {
    pub client: reqwest::Client,
    pub base: String,
    pub cookie: String,
}

impl RawSession {
    /// Opens `link` without following the redirect; panics unless a session starts.
    pub async fn open(app: &TestApp, link: &str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = client.get(link).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            set.contains("HttpOnly")
                && set.contains("SameSite=Lax")
                && set.contains("Path=/portal"),
            "{set}"
        );
        assert!(
            !set.contains("Secure"),
            "plain http: no Secure flag ({set})"
        );
        let cookie = set.split(';').next().unwrap().to_owned();
        Self {
            client,
            base: app.url.clone(),
            cookie,
        }
    }

    /// GET `path` in the session.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    /// The CSRF token in the forms of `path`.
    pub async fn csrf(&self, path: &str) -> String {
        let html = self.get(path).await.text().await.unwrap();
        let at = html
            .find("name=\"_csrf\" value=\"")
            .expect("a form with a CSRF token")
            + 20;
        html[at..].split('"').next().unwrap().to_owned()
    }

    /// POSTs a form to `path` with extra `headers`.
    pub async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut rb = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).unwrap());
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        rb.send().await.unwrap()
    }
}
