//! `application/problem+json` (RFC 9457, ex 7807) errors, in the shape of
//! the `Problem` schema of `api-comuni.yaml` and of the ModI guidelines
//! (RAC_REST_NAME_008): only `type`, `title`, `status`, `detail`, `instance`.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Media type of every error (and of `/status`).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// `detail` and `title` are at most this long in the spec.
const MAX_TEXT: usize = 4096;

/// A problem document plus the headers that go with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The HTTP status, repeated in the body.
    pub status: u16,
    /// Short summary (the status' reason phrase unless set).
    pub title: String,
    /// What went wrong, for a person; never secrets or personal data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Extra response headers (`WWW-Authenticate`, `Retry-After`, `Allow`…).
    #[serde(skip)]
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

fn truncate(mut s: String) -> String {
    if s.len() > MAX_TEXT {
        let mut end = MAX_TEXT - 3;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str("...");
    }
    s
}

impl Problem {
    /// A problem with the status' reason phrase as title.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        let detail = detail.into();
        Problem {
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            detail: (!detail.is_empty()).then(|| truncate(detail)),
            headers: Vec::new(),
        }
    }

    /// Sets the title.
    pub fn title(mut self, title: impl Into<String>) -> Problem {
        self.title = truncate(title.into());
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: HeaderName, value: impl TryInto<HeaderValue>) -> Problem {
        if let Ok(v) = value.try_into() {
            self.headers.push((name, v));
        }
        self
    }

    /// 400 Bad Request.
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 404 Not Found.
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, detail)
    }

    /// 500, without details of the cause (those go to the log).
    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server could not complete the request; it has been logged.",
        )
    }

    /// 503 with `Retry-After`.
    pub fn unavailable(detail: impl Into<String>, retry_after_secs: u32) -> Problem {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, detail).header(header::RETRY_AFTER, retry_after_secs)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{}".to_vec());
        let mut res = (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response();
        for (k, v) in self.headers {
            res.headers_mut().append(k, v);
        }
        res
    }
}

/// The fallback of the whole server: 404 for every path no service owns.
pub async fn not_found() -> Problem {
    Problem::not_found("No resource at this path.")
}

/// 405 for a known path with another method.
pub async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "This method is not allowed on this resource.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_only_the_spec_fields() {
        let p = Problem::new(StatusCode::UNAUTHORIZED, "token expired")
            .header(header::WWW_AUTHENTICATE, "Bearer");
        let v: serde_json::Value = serde_json::to_value(&p).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"status": 401, "title": "Unauthorized", "detail": "token expired"})
        );
        let res = p.into_response();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(res.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }

    #[test]
    fn long_texts_are_cut_to_the_spec_limit() {
        let p = Problem::bad_request("è".repeat(5000));
        assert!(p.detail.as_ref().unwrap().len() <= MAX_TEXT);
        assert!(Problem::bad_request("").detail.is_none());
    }
}
